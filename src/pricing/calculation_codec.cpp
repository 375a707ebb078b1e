// POST /calculations body in, calculation answer out.
#include "pricing/calculation_codec.hpp"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <ctime>

namespace shopfloor::pricing {
namespace {

namespace json = boost::json;

Problem bad(std::string code, std::string message) {
  return Problem::bad_input(std::move(code), std::move(message));
}

}  // namespace

Result<CalculationRequest> parse_calculation_request(const json::object& body) {
  for (const auto& member : body) {
    const std::string_view k = member.key();
    if (k != "product_sku" && k != "quantity" && k != "material_overrides") {
      // The name is client input: quote it through JSON so the message stays one line.
      return bad("unknown_field", "unknown field " + json::serialize(json::string(k)) +
                                      "; allowed: product_sku, quantity, material_overrides");
    }
  }

  CalculationRequest request;
  const json::value* sku = body.if_contains("product_sku");
  if (!sku) return bad("missing_field", "product_sku is required");
  if (!sku->is_string() || sku->as_string().empty() || sku->as_string().size() > kMaxSkuBytes) {
    return bad("invalid_product_sku", "product_sku must be a non-empty string of at most " +
                                          std::to_string(kMaxSkuBytes) + " bytes");
  }
  request.product_sku = std::string(sku->as_string());

  const json::value* quantity = body.if_contains("quantity");
  if (!quantity) return bad("missing_field", "quantity is required");
  // A JSON integer only: 120.0 and "120" are refused rather than guessed at. Integers
  // beyond int64 parse as uint64, which is out of range as well.
  if (quantity->is_uint64()) {
    return bad("quantity_out_of_range", "quantity must be between " + std::to_string(kMinQuantity) +
                                            " and " + std::to_string(kMaxQuantity));
  }
  if (!quantity->is_int64()) return bad("invalid_quantity", "quantity must be an integer");
  request.quantity = quantity->as_int64();
  if (request.quantity < kMinQuantity || request.quantity > kMaxQuantity) {
    return bad("quantity_out_of_range", "quantity must be between " + std::to_string(kMinQuantity) +
                                            " and " + std::to_string(kMaxQuantity));
  }

  if (const json::value* overrides = body.if_contains("material_overrides")) {
    if (!overrides->is_object()) {
      return bad("invalid_material_overrides",
                 "material_overrides must be an object of material code -> material code");
    }
    const json::object& o = overrides->as_object();
    if (o.size() > kMaxOverrides) {
      return bad("invalid_material_overrides",
                 "at most " + std::to_string(kMaxOverrides) + " material overrides");
    }
    for (const auto& member : o) {
      if (!member.value().is_string()) {
        return bad("invalid_material_overrides",
                   "material_overrides values must be material codes (strings)");
      }
      request.material_overrides.insert_or_assign(std::string(member.key()),
                                                  std::string(member.value().as_string()));
    }
  }
  return request;
}

std::string render_calculation(const Calculation& c, const CalculationRequest& request,
                               std::string_view calculated_at) {
  json::object out;
  out["product_sku"] = c.product_sku;
  out["quantity"] = c.quantity;
  out["currency"] = "RUB";
  out["unit_cost"] = c.unit_cost.to_string();
  out["total_cost"] = c.total_cost.to_string();
  out["breakdown"] = json::object{
      {"materials", c.breakdown.materials.to_string()},
      {"machine", c.breakdown.machine.to_string()},
      {"setup", c.breakdown.setup.to_string()},
      {"overhead", c.breakdown.overhead.to_string()},
      {"margin", c.breakdown.margin.to_string()},
      {"discount", c.breakdown.discount.to_string()},
  };
  if (!request.material_overrides.empty()) {
    json::object overrides;
    for (const auto& [from, to] : request.material_overrides) overrides[from] = to;
    out["material_overrides"] = std::move(overrides);
  }
  out["price_list_version"] = c.price_list_version;
  out["calculated_at"] = calculated_at;
  return json::serialize(out);
}

std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace shopfloor::pricing
