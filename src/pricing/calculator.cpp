// The calculator in three passes: validate the request, explode the BOM into a
// topological order of products (iterative DFS, cycle and depth checks), then
// accumulate exact figures and round each one once.
#include "pricing/calculator.hpp"

#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <string_view>
#include <utility>

#include "pricing/exact_decimal.hpp"

namespace shopfloor::pricing {
namespace {

constexpr std::uint32_t kMinutesPerHour = 60;

Problem not_found(std::string code, std::string message) {
  return {ProblemKind::not_found, std::move(code), std::move(message)};
}

Problem invalid_reference_data(std::string message) {
  return Problem::conflict("invalid_reference_data", std::move(message));
}

Problem amount_out_of_range(std::string_view figure) {
  return Problem::bad_input("amount_out_of_range",
                            std::string(figure) + " exceeds the largest representable amount");
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

struct Frame {
  const Product* product;
  std::size_t next_line;  // next BOM line to explore
};

// "A -> B -> C -> A" for the cycle closing at `again`; a long cycle is shortened
// so the message stays readable (its length is stated instead).
std::string describe_cycle(const std::vector<Frame>& path, std::string_view again) {
  constexpr std::size_t kShown = 8;  // products shown at each end of a long cycle
  std::size_t first = 0;
  while (path[first].product->sku != again) ++first;
  const std::size_t length = path.size() - first;
  std::string out;
  for (std::size_t i = first; i < path.size(); ++i) {
    const std::size_t pos = i - first;
    if (length > 2 * kShown && pos == kShown) {
      out += "... -> ";
      i = path.size() - kShown - 1;
      continue;
    }
    out += path[i].product->sku + " -> ";
  }
  out += again;
  if (length > 2 * kShown) out += " (" + std::to_string(length) + " products)";
  return out;
}

// Every product of the explosion, each before all of its sub-assemblies, so the
// needed quantity of a product is complete before it is passed down.
Result<std::vector<const Product*>> explode(const PriceBook& book, const Product& root) {
  enum class Mark : unsigned char { on_path, done };
  std::map<std::string_view, Mark> marks;
  std::vector<Frame> path{{&root, 0}};
  std::vector<const Product*> postorder;
  marks.emplace(root.sku, Mark::on_path);

  while (!path.empty()) {
    Frame& top = path.back();
    if (top.next_line == top.product->bom.size()) {
      marks[top.product->sku] = Mark::done;
      postorder.push_back(top.product);
      path.pop_back();
      continue;
    }
    const BomLine& line = top.product->bom[top.next_line++];
    if (line.is_material) continue;
    if (auto seen = marks.find(line.component); seen != marks.end()) {
      if (seen->second == Mark::done) continue;  // shared sub-assembly, already explored
      return Problem::conflict("bom_cycle", "BOM cycle: " + describe_cycle(path, line.component));
    }
    auto child = book.products.find(line.component);
    if (child == book.products.end()) {
      return not_found("unknown_product", "sub-assembly " + quoted(line.component) +
                                              " in the BOM of " + quoted(top.product->sku) +
                                              " is not a known product");
    }
    marks.emplace(child->first, Mark::on_path);
    path.push_back({&child->second, 0});  // invalidates `top`; not used below
  }

  std::reverse(postorder.begin(), postorder.end());

  // Longest sub-assembly chain below the root, in topological order.
  std::map<std::string_view, int> level{{root.sku, 0}};
  for (const Product* p : postorder) {
    const int below = level[p->sku] + 1;
    for (const BomLine& line : p->bom) {
      if (line.is_material) continue;
      int& l = level[line.component];
      l = std::max(l, below);
      if (l > kMaxBomDepth) {
        return Problem::conflict("bom_too_deep", "the BOM of " + quoted(root.sku) +
                                                     " is deeper than " +
                                                     std::to_string(kMaxBomDepth) + " levels at " +
                                                     quoted(line.component));
      }
    }
  }
  return postorder;
}

// Checks one override pair; the overriding material must be measured in the same
// unit, or quantities per unit would be read in the wrong unit.
Result<void> check_override(const PriceBook& book, const std::string& from, const std::string& to) {
  auto source = book.materials.find(from);
  if (source == book.materials.end()) {
    return not_found("unknown_material", "override of unknown material " + quoted(from));
  }
  auto target = book.materials.find(to);
  if (target == book.materials.end()) {
    return not_found("unknown_material", "override to unknown material " + quoted(to));
  }
  if (source->second.unit != target->second.unit) {
    return Problem::bad_input("override_unit_mismatch",
                              "cannot override " + quoted(from) + " (" + source->second.unit +
                                  ") with " + quoted(to) + " (" + target->second.unit + ")");
  }
  return {};
}

// The discount of the tier for `quantity`; see PricingParameters::tiers.
Bp discount_for(const PricingParameters& params, long long quantity) {
  const DiscountTier* best = nullptr;
  for (const DiscountTier& t : params.tiers) {
    if (t.min_quantity > quantity) continue;
    if (best == nullptr || t.min_quantity > best->min_quantity ||
        (t.min_quantity == best->min_quantity && t.discount.bp > best->discount.bp)) {
      best = &t;
    }
  }
  return best == nullptr ? Bp{} : best->discount;
}

// `base` x bp / 10'000, rounded half-up to the kopeck.
Result<Money> percent_of(Money base, Bp rate, std::string_view figure) {
  const auto r = round_half_up(static_cast<__int128>(base.kopecks()) * rate.bp, Bp::kScale);
  if (!r) return amount_out_of_range(figure);
  return Money::from_kopecks(*r);
}

Result<Money> rounded(const ExactDecimal& value, std::uint32_t divisor, std::string_view figure) {
  const auto r = value.round_half_up_div(divisor);
  if (!r) return amount_out_of_range(figure);
  return Money::from_kopecks(*r);
}

// Exact sums in kopecks (machine and setup still to be divided by 60 min/h).
struct ExactFigures {
  ExactDecimal materials;
  ExactDecimal machine_x60;
  ExactDecimal setup_x60;
};

Result<ExactFigures> accumulate(const PriceBook& book, const CalculationRequest& request,
                                const std::vector<const Product*>& order) {
  ExactFigures sums;
  std::map<std::string_view, ExactDecimal> needed;  // product units to make
  needed.emplace(order.front()->sku,
                 ExactDecimal::from_fixed(static_cast<std::uint64_t>(request.quantity), 0));

  for (const Product* p : order) {
    const ExactDecimal& units = needed[p->sku];
    for (const BomLine& line : p->bom) {
      if (line.quantity_per_unit.micros < 0 || line.scrap.bp < 0) {
        return invalid_reference_data("negative quantity or scrap in the BOM of " + quoted(p->sku));
      }
      ExactDecimal amount = units;
      amount.multiply(static_cast<std::uint64_t>(line.quantity_per_unit.micros),
                      Qty::kFractionDigits);
      // (1 + scrap) as (10'000 + bp) / 10'000; cannot overflow: bp <= INT64_MAX.
      amount.multiply(
          static_cast<std::uint64_t>(Bp::kScale) + static_cast<std::uint64_t>(line.scrap.bp), 4);
      if (!line.is_material) {
        needed[line.component].add(amount);
        continue;
      }
      std::string_view code = line.component;
      if (auto o = request.material_overrides.find(line.component);
          o != request.material_overrides.end()) {
        code = o->second;
      }
      auto material = book.materials.find(code);
      if (material == book.materials.end()) {
        return not_found("unknown_material", "material " + quoted(code) + " in the BOM of " +
                                                 quoted(p->sku) + " is not known");
      }
      if (material->second.price.kopecks() < 0) {
        return invalid_reference_data("negative price of material " + quoted(code));
      }
      amount.multiply(static_cast<std::uint64_t>(material->second.price.kopecks()), 0);
      sums.materials.add(amount);
    }
    for (const Operation& op : p->routing) {
      auto wc = book.work_centers.find(op.work_center);
      if (wc == book.work_centers.end()) {
        return not_found("unknown_work_center", "work centre " + quoted(op.work_center) +
                                                    " in the routing of " + quoted(p->sku) +
                                                    " is not known");
      }
      const std::int64_t rate = wc->second.hourly_rate.kopecks();
      if (rate < 0 || op.setup.micros < 0 || op.run_per_unit.micros < 0) {
        return invalid_reference_data("negative rate or minutes in the routing of " +
                                      quoted(p->sku));
      }
      ExactDecimal run = units;
      run.multiply(static_cast<std::uint64_t>(op.run_per_unit.micros), Minutes::kFractionDigits);
      run.multiply(static_cast<std::uint64_t>(rate), 0);
      sums.machine_x60.add(run);
      ExactDecimal setup = ExactDecimal::from_fixed(static_cast<std::uint64_t>(op.setup.micros),
                                                    Minutes::kFractionDigits);
      setup.multiply(static_cast<std::uint64_t>(rate), 0);
      sums.setup_x60.add(setup);
    }
  }
  return sums;
}

// RFC 3986 percent-encoding of everything but the unreserved characters (Boost.URL).
void append_escaped(std::string& out, std::string_view s) {
  out += boost::urls::encode(s, boost::urls::unreserved_chars);
}

}  // namespace

Result<Calculation> calculate(const PriceBook& book, const CalculationRequest& request) {
  if (request.quantity < kMinQuantity || request.quantity > kMaxQuantity) {
    return Problem::bad_input("quantity_out_of_range", "quantity must be between " +
                                                           std::to_string(kMinQuantity) + " and " +
                                                           std::to_string(kMaxQuantity));
  }
  auto product = book.products.find(request.product_sku);
  if (product == book.products.end()) {
    return not_found("unknown_product", "unknown product " + quoted(request.product_sku));
  }
  for (const auto& [from, to] : request.material_overrides) {
    if (auto ok = check_override(book, from, to); !ok) return ok.error();
  }
  const PricingParameters& params = book.parameters;
  const Bp discount_rate = discount_for(params, request.quantity);
  if (params.overhead.bp < 0 || params.margin.bp < 0 || discount_rate.bp < 0 ||
      discount_rate.bp > Bp::kScale) {
    return invalid_reference_data("overhead and margin must be >= 0 % and discounts 0..100 %");
  }

  auto order = explode(book, product->second);
  if (!order) return order.error();
  auto sums = accumulate(book, request, *order);
  if (!sums) return sums.error();

  Breakdown b;
  // The rounding points, in order; each later figure starts from rounded ones.
  auto materials = rounded(sums->materials, 1, "materials");
  if (!materials) return materials.error();
  auto machine = rounded(sums->machine_x60, kMinutesPerHour, "machine");
  if (!machine) return machine.error();
  auto setup = rounded(sums->setup_x60, kMinutesPerHour, "setup");
  if (!setup) return setup.error();
  b.materials = *materials;
  b.machine = *machine;
  b.setup = *setup;

  auto subtotal = b.materials.checked_add(b.machine);
  if (subtotal) subtotal = subtotal->checked_add(b.setup);
  if (!subtotal) return subtotal.error();
  auto overhead = percent_of(*subtotal, params.overhead, "overhead");
  if (!overhead) return overhead.error();
  b.overhead = *overhead;
  auto before_margin = subtotal->checked_add(b.overhead);
  if (!before_margin) return before_margin.error();
  auto margin = percent_of(*before_margin, params.margin, "margin");
  if (!margin) return margin.error();
  b.margin = *margin;
  auto before_discount = before_margin->checked_add(b.margin);
  if (!before_discount) return before_discount.error();
  auto discount = percent_of(*before_discount, discount_rate, "discount");
  if (!discount) return discount.error();
  b.discount = *discount;
  auto total = before_discount->checked_sub(b.discount);  // discount <= 100 %: stays >= 0
  if (!total) return total.error();
  const auto unit = round_half_up(total->kopecks(), request.quantity);
  if (!unit) return amount_out_of_range("unit cost");

  Calculation c;
  c.product_sku = request.product_sku;
  c.quantity = request.quantity;
  c.unit_cost = Money::from_kopecks(*unit);
  c.total_cost = *total;
  c.breakdown = b;
  c.price_list_version = book.version;
  return c;
}

std::string canonical_request_key(const CalculationRequest& request) {
  std::string key = "v1|sku=";
  append_escaped(key, request.product_sku);
  key += "|qty=" + std::to_string(request.quantity) + "|ovr=";
  bool first = true;
  // Identity overrides (X -> X) stay in the key: they price nothing differently, but
  // calculate() still checks that X exists (404 when not), so dropping them would let
  // {"NOPE":"NOPE"} hit the cached answer of the plain request.
  for (const auto& [from, to] : request.material_overrides) {  // std::map: sorted by source
    if (!first) key.push_back(',');
    first = false;
    append_escaped(key, from);
    key.push_back('>');
    append_escaped(key, to);
  }
  return key;
}

}  // namespace shopfloor::pricing
