// Fuzz target: a POST /calculations body → parse_calculation_request →
// canonical_request_key (the cache key) → calculate on a small fixed price book →
// render_calculation.
//
// Invariants: nothing throws; the key decodes back to the request, so distinct
// requests never share a key; equivalent spellings (members reordered, absent
// overrides = {}) give the same key, and canonicalising twice changes nothing;
// calculate is deterministic and its figures add up as docs/pricing.md says
// (total = materials + machine + setup + overhead + margin - discount, every figure
// >= 0, unit_cost within half a kopeck of total / quantity); errors have documented
// kinds; the rendered answer is a JSON object naming the request's SKU.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "pricing/calculation_codec.hpp"
#include "pricing/calculator.hpp"

namespace {

namespace json = boost::json;
using namespace shopfloor;
using namespace shopfloor::pricing;

Qty qty(std::string_view t) {
  return Qty::parse(t).value();
}
Minutes minutes(std::string_view t) {
  return Minutes::parse(t).value();
}
Bp pct(std::string_view t) {
  return Bp::parse_percent(t).value();
}

// A small book with what can go wrong: sub-assemblies, a unit mismatch, a cycle, an
// unknown work centre, and prices big enough to overflow.
PriceBook make_book() {
  PriceBook b;
  b.version = 7;
  b.put(Material{"STL", "steel sheet", "kg", Money::from_kopecks(12'050)});
  b.put(Material{"PNT", "paint", "l", Money::from_kopecks(81'240)});
  b.put(Material{"PNT2", "paint, other colour", "l", Money::from_kopecks(90'000)});
  b.put(Material{"BLT", "bolt", "pcs", Money::from_kopecks(7)});
  b.put(Material{"GOLD", "very dear", "kg", Money::from_kopecks(9'000'000'000'000'000'000)});
  b.put(WorkCenter{"CUT", Money::from_kopecks(420'000)});
  b.put(WorkCenter{"PAINT", Money::from_kopecks(350'000)});
  b.put(
      Product{"BRK-200",
              "bracket",
              "brackets",
              {{"STL", true, qty("0.85"), pct("2")},
               {"PNT", true, qty("0.05"), pct("0")},
               {"SUB-1", false, qty("2"), pct("1.5")}},
              {{"CUT", minutes("30"), minutes("0.75")}, {"PAINT", minutes("15"), minutes("0.2")}}});
  b.put(Product{"SUB-1",
                "hinge",
                "parts",
                {{"BLT", true, qty("4"), pct("0")}},
                {{"CUT", minutes("5"), minutes("0.1")}}});
  b.put(Product{"GOLD-1", "golden", "luxury", {{"GOLD", true, qty("1000"), pct("0")}}, {}});
  b.put(Product{"CYC-A", "cycle", "broken", {{"CYC-B", false, qty("1"), pct("0")}}, {}});
  b.put(Product{"CYC-B", "cycle", "broken", {{"CYC-A", false, qty("1"), pct("0")}}, {}});
  b.put(Product{"NOWC", "no work centre", "broken", {}, {{"MISSING", minutes("1"), minutes("1")}}});
  b.parameters.overhead = pct("12.5");
  b.parameters.margin = pct("18");
  b.parameters.tiers = {{100, pct("3")}, {1000, pct("7.5")}};
  return b;
}

const PriceBook& book() {
  static const PriceBook b = make_book();
  return b;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // the key's escapes are upper-case
}

// Percent-decoding of one key field; nullopt if it holds a separator or a bad escape.
std::optional<std::string> decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ',' || c == '>' || c == '|') return std::nullopt;
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= s.size() || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0) {
      return std::nullopt;
    }
    out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
    i += 2;
  }
  return out;
}

// "v1|sku=<e>|qty=<n>|ovr=<e>><e>,…" → the request it was made from.
std::optional<CalculationRequest> decode_key(std::string_view key) {
  constexpr std::string_view kHead = "v1|sku=";
  if (key.substr(0, kHead.size()) != kHead) return std::nullopt;
  key.remove_prefix(kHead.size());
  const auto q = key.find("|qty=");
  const auto o = key.find("|ovr=");
  if (q == std::string_view::npos || o == std::string_view::npos || o < q) return std::nullopt;
  CalculationRequest r;
  auto sku = decode(key.substr(0, q));
  if (!sku) return std::nullopt;
  r.product_sku = *sku;
  const std::string digits(key.substr(q + 5, o - q - 5));
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  r.quantity = std::stoll(digits);
  std::string_view ovr = key.substr(o + 5);
  while (!ovr.empty()) {
    const auto comma = ovr.find(',');
    const std::string_view pair = ovr.substr(0, comma);
    const auto gt = pair.find('>');
    if (gt == std::string_view::npos) return std::nullopt;
    auto from = decode(pair.substr(0, gt));
    auto to = decode(pair.substr(gt + 1));
    if (!from || !to || r.material_overrides.count(*from)) return std::nullopt;
    r.material_overrides.emplace(std::move(*from), std::move(*to));
    if (comma == std::string_view::npos) break;
    ovr.remove_prefix(comma + 1);
  }
  return r;
}

bool same(const CalculationRequest& a, const CalculationRequest& b) {
  return a.product_sku == b.product_sku && a.quantity == b.quantity &&
         a.material_overrides == b.material_overrides;
}

bool same(const Calculation& a, const Calculation& b) {
  const auto& x = a.breakdown;
  const auto& y = b.breakdown;
  return a.product_sku == b.product_sku && a.quantity == b.quantity && a.unit_cost == b.unit_cost &&
         a.total_cost == b.total_cost && x.materials == y.materials && x.machine == y.machine &&
         x.setup == y.setup && x.overhead == y.overhead && x.margin == y.margin &&
         x.discount == y.discount && a.price_list_version == b.price_list_version;
}

void check_key(const json::object& body, const CalculationRequest& r) {
  const std::string key = canonical_request_key(r);
  const auto decoded = decode_key(key);
  FUZZ_CHECK(decoded && same(*decoded, r), "the key decodes back to the request: " + key);

  // Equivalent spellings: reversed members, overrides spelled out as {} when absent.
  json::object reordered;
  for (auto it = body.end(); it != body.begin();) {
    --it;
    reordered[it->key()] = it->value();
  }
  if (!reordered.contains("material_overrides")) reordered["material_overrides"] = json::object();
  const auto again = parse_calculation_request(reordered);
  FUZZ_CHECK(again && canonical_request_key(*again) == key, "equivalent spellings, one key");

  // The canonical form written back as JSON is canonical already.
  json::object overrides;
  for (const auto& [from, to] : r.material_overrides) overrides[from] = to;
  const json::object canonical{{"product_sku", r.product_sku},
                               {"quantity", r.quantity},
                               {"material_overrides", std::move(overrides)}};
  const auto twice = parse_calculation_request(canonical);
  FUZZ_CHECK(twice && same(*twice, r) && canonical_request_key(*twice) == key, "idempotent");

  CalculationRequest other = r;
  other.quantity = r.quantity == kMaxQuantity ? 1 : r.quantity + 1;
  FUZZ_CHECK(canonical_request_key(other) != key, "distinct requests, distinct keys");
}

void check_calculate(const CalculationRequest& r) {
  const auto c = calculate(book(), r);
  const auto c2 = calculate(book(), r);
  FUZZ_CHECK(c.has_value() == c2.has_value(), "calculate is deterministic");
  if (!c) {
    const ProblemKind k = c.error().kind;
    FUZZ_CHECK(
        k == ProblemKind::bad_input || k == ProblemKind::not_found || k == ProblemKind::conflict,
        "calculation error kind: " + c.error().code);
    FUZZ_CHECK(c2.error().code == c.error().code, "same error twice");
    return;
  }
  FUZZ_CHECK(same(*c, *c2), "same figures twice");
  const Breakdown& b = c->breakdown;
  for (const Money m : {b.materials, b.machine, b.setup, b.overhead, b.margin, b.discount,
                        c->total_cost, c->unit_cost}) {
    FUZZ_CHECK(m >= Money(), "figures are non-negative");
  }
  const __int128 sum = static_cast<__int128>(b.materials.kopecks()) + b.machine.kopecks() +
                       b.setup.kopecks() + b.overhead.kopecks() + b.margin.kopecks() -
                       b.discount.kopecks();
  FUZZ_CHECK(sum == c->total_cost.kopecks(), "total = sum of the breakdown");
  const __int128 spread =
      static_cast<__int128>(c->unit_cost.kopecks()) * r.quantity - c->total_cost.kopecks();
  FUZZ_CHECK(2 * (spread < 0 ? -spread : spread) <= r.quantity, "unit_cost ~ total / quantity");
  FUZZ_CHECK(c->product_sku == r.product_sku && c->quantity == r.quantity &&
                 c->price_list_version == book().version,
             "echoes the request");

  const std::string answer = render_calculation(*c, r, "2026-12-01T10:00:00Z");
  const json::value v = json::parse(answer);
  FUZZ_CHECK(v.is_object() && v.at("product_sku").as_string() == r.product_sku &&
                 v.at("total_cost").as_string() == c->total_cost.to_string() &&
                 v.get_object().contains("material_overrides") == !r.material_overrides.empty(),
             "rendered answer");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  const json::value v =
      json::parse(json::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !v.is_object()) return 0;
  const auto r = parse_calculation_request(v.get_object());
  if (!r) {
    FUZZ_CHECK(r.error().kind == ProblemKind::bad_input, "request error kind");
    return 0;
  }
  check_key(v.get_object(), *r);
  check_calculate(*r);
  return 0;
}
