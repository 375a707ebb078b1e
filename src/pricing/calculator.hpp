// The pricing calculator: what an order of N units of a product costs, computed
// from an in-memory PriceBook. Pure: no I/O, no clock, no logging; the same book and
// request always give the same Calculation, to the kopeck.
//
// Semantics (docs/pricing.md explains each figure and works an example):
//   - The BOM is exploded through every level. A line needs
//     parent_needed x quantity_per_unit x (1 + scrap); a sub-assembly line makes
//     that many sub-assembly units (possibly fractional, e.g. 122.4), which bring
//     their own materials AND their own routing.
//   - materials = sum of needed material quantity x price of the material (after
//     material_overrides); machine = sum of run minutes x needed units x hourly
//     rate / 60; setup = setup minutes x hourly rate / 60, once per operation of
//     every distinct product in the explosion (each is made in one batch).
//   - overhead = overhead% of (materials + machine + setup); margin = margin% of
//     (that + overhead); discount = the tier% for the ordered quantity of
//     (that + margin); total = materials + machine + setup + overhead + margin -
//     discount; unit_cost = total / quantity.
//   - Everything is exact until each of those figures is rounded once, half-up to
//     the kopeck (money.hpp); later figures are computed from the rounded earlier
//     ones, so a client can reproduce them from the breakdown. total is exact from
//     the rounded figures and is the reproducible one; unit_cost is rounded and
//     unit_cost x quantity may differ from total by up to quantity / 2 kopecks.
//
// Errors (Problem kind / code):
//   quantity outside 1..1'000'000         bad_input  quantity_out_of_range
//   override whose units differ           bad_input  override_unit_mismatch
//   a figure beyond INT64_MAX kopecks     bad_input  amount_out_of_range
//   unknown product or sub-assembly       not_found  unknown_product
//   unknown material (BOM or override)    not_found  unknown_material
//   routing names an unknown work centre  not_found  unknown_work_center
//   BOM cycle, e.g. A -> B -> A           conflict   bom_cycle (message names the path)
//   BOM deeper than kMaxBomDepth levels   conflict   bom_too_deep
//   negative figure in the reference data conflict   invalid_reference_data
// conflict means "the reference data is inconsistent": the request itself is fine
// and will succeed once the data is corrected. The explosion is iterative and visits
// each product once, so bad data can neither hang it nor overflow the stack.
//
// Thread-safety: `calculate` and `canonical_request_key` are pure functions; a
// PriceBook may be read by any number of threads at once if nobody mutates it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/problem.hpp"
#include "pricing/money.hpp"

namespace shopfloor::pricing {

inline constexpr long long kMinQuantity = 1;
inline constexpr long long kMaxQuantity = 1'000'000;
// Sub-assembly levels below the ordered product (its own BOM is level 1). Bounds
// the work and the size of exact intermediates; real BOMs rarely exceed 15.
inline constexpr int kMaxBomDepth = 32;

struct Material {
  std::string code;
  std::string name;
  std::string unit;  // "kg", "m", "pcs", "l"
  Money price;       // per one `unit`
};

struct BomLine {
  std::string component;  // a material code when is_material, else a product sku
  bool is_material = true;
  Qty quantity_per_unit;  // in the material's unit, or sub-assembly units, per parent unit
  Bp scrap;               // extra fraction consumed: needed = quantity x (1 + scrap)
};

struct Operation {
  std::string work_center;
  Minutes setup;         // once per order (one batch)
  Minutes run_per_unit;  // per unit made
};

struct Product {
  std::string sku;
  std::string name;
  std::string category;
  std::vector<BomLine> bom;
  std::vector<Operation> routing;
};

struct WorkCenter {
  std::string code;
  Money hourly_rate;
};

struct DiscountTier {
  long long min_quantity = 1;  // applies to orders of at least this many units
  Bp discount;
};

struct PricingParameters {
  Bp overhead;
  Bp margin;
  // Any order; the tier with the greatest min_quantity <= quantity applies (on a
  // tie the larger discount); none -> no discount.
  std::vector<DiscountTier> tiers;
};

struct PriceBook {
  std::map<std::string, Material, std::less<>> materials;       // by code
  std::map<std::string, Product, std::less<>> products;         // by sku
  std::map<std::string, WorkCenter, std::less<>> work_centers;  // by code
  PricingParameters parameters;
  long long version = 0;  // price_list_version the book was loaded at

  // Insert or replace, keyed by code / sku.
  void put(Material m) { materials.insert_or_assign(m.code, std::move(m)); }
  void put(Product p) { products.insert_or_assign(p.sku, std::move(p)); }
  void put(WorkCenter w) { work_centers.insert_or_assign(w.code, std::move(w)); }
};

struct CalculationRequest {
  std::string product_sku;
  long long quantity = 1;
  // Price every use of material `first` as material `second` (same unit). Not
  // transitive: {A: B, B: C} prices A as B and B as C.
  std::map<std::string, std::string> material_overrides;
};

struct Breakdown {
  Money materials, machine, setup, overhead, margin, discount;  // discount >= 0, subtracted
};

struct Calculation {
  std::string product_sku;
  long long quantity = 0;
  Money unit_cost, total_cost;
  Breakdown breakdown;
  long long price_list_version = 0;
};

Result<Calculation> calculate(const PriceBook& book, const CalculationRequest& request);

// The cache key of a request: requests that mean the same give the same string.
// Overrides are sorted and an absent override map equals an empty one; identity
// overrides (X -> X) are kept, because they are not equivalent to no override when X
// is unknown (404). Every field is spelled out, values are percent-encoded outside
// [A-Za-z0-9._-], so distinct requests never collide. Example:
//   "v1|sku=BRK-200|qty=120|ovr=PNT-RAL7035>PNT-RAL9005"
// The price_list_version is not part of it: the cache invalidates by version.
std::string canonical_request_key(const CalculationRequest& request);

}  // namespace shopfloor::pricing
