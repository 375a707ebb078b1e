// The calculator on in-memory price books: the worked example of docs/pricing.md to
// the kopeck, BOM explosion, scrap, tiers, rounding, errors, extremes, cache keys.
#include "pricing/calculator.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace shopfloor::pricing {
namespace {

Money rub(std::string_view text) {
  return Money::parse(text).value();
}
Qty qty(std::string_view text) {
  return Qty::parse(text).value();
}
Minutes minutes(std::string_view text) {
  return Minutes::parse(text).value();
}
Bp pct(std::string_view text) {
  return Bp::parse_percent(text).value();
}

BomLine material(std::string code, std::string_view per_unit, std::string_view scrap = "0") {
  return {std::move(code), true, qty(per_unit), pct(scrap)};
}
BomLine sub(std::string sku, std::string_view per_unit, std::string_view scrap = "0") {
  return {std::move(sku), false, qty(per_unit), pct(scrap)};
}
Operation op(std::string wc, std::string_view setup, std::string_view run) {
  return {std::move(wc), minutes(setup), minutes(run)};
}

// The reference data of the worked example in docs/pricing.md (and of
// sql/seed/pricing.sql for these codes).
PriceBook example_book() {
  PriceBook book;
  book.version = 7;
  book.put(Material{"STL-S235-4", "Steel sheet S235JR 4 mm", "kg", rub("98.50")});
  book.put(Material{"FST-M10X30", "Hex bolt M10x30 8.8 zinc plated", "pcs", rub("12.81")});
  book.put(Material{"PNT-RAL7035", "Powder coating RAL 7035 light grey", "kg", rub("640.00")});
  book.put(Material{"PNT-RAL9005", "Powder coating RAL 9005 jet black", "kg", rub("655.00")});
  book.put(Material{"AL-6060-ROD20", "Aluminium rod 6060 D20", "m", rub("410.00")});
  for (auto [code, rate] : {std::pair{"CUT-1", "2600.00"},
                            {"PRESS-1", "3300.00"},
                            {"WELD-1", "2800.00"},
                            {"PAINT-1", "2400.00"},
                            {"QC-1", "2200.00"}}) {
    book.put(WorkCenter{code, rub(rate)});
  }
  book.put(Product{"BRK-200-BASE",
                   "Bracket base plate 200",
                   "sub-assemblies",
                   {material("STL-S235-4", "2.35", "5")},
                   {op("CUT-1", "20", "1.5"), op("PRESS-1", "40", "0.75")}});
  book.put(Product{"BRK-200",
                   "Mounting bracket 200",
                   "brackets",
                   {sub("BRK-200-BASE", "1", "2"), material("FST-M10X30", "4", "1"),
                    material("PNT-RAL7035", "0.12", "10")},
                   {op("WELD-1", "30", "6"), op("PAINT-1", "45", "2.5"), op("QC-1", "10", "1.2")}});
  book.parameters.overhead = pct("18");
  book.parameters.margin = pct("25");
  book.parameters.tiers = {
      {50, pct("3")}, {100, pct("5")}, {500, pct("8")}, {1000, pct("10")}, {5000, pct("12")}};
  return book;
}

Calculation calc_ok(const PriceBook& book, CalculationRequest request) {
  auto r = calculate(book, request);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().code + ": " + r.error().message);
  return r ? *r : Calculation{};
}

Problem calc_error(const PriceBook& book, CalculationRequest request) {
  auto r = calculate(book, request);
  EXPECT_FALSE(r.has_value());
  return r ? Problem{} : r.error();
}

// The docs/pricing.md example, every figure to the kopeck.
TEST(PricingCalculator, WorkedExampleFromDocs) {
  const Calculation c = calc_ok(example_book(), {"BRK-200", 120, {}});
  EXPECT_EQ(c.product_sku, "BRK-200");
  EXPECT_EQ(c.quantity, 120);
  EXPECT_EQ(c.breakdown.materials.to_string(), "46097.06");  // 46097.055 exactly: half up
  EXPECT_EQ(c.breakdown.machine.to_string(), "63885.00");
  EXPECT_EQ(c.breakdown.setup.to_string(), "6633.33");
  EXPECT_EQ(c.breakdown.overhead.to_string(), "20990.77");
  EXPECT_EQ(c.breakdown.margin.to_string(), "34401.54");
  EXPECT_EQ(c.breakdown.discount.to_string(), "8600.39");  // 8600.385 exactly: half up
  EXPECT_EQ(c.total_cost.to_string(), "163407.31");
  EXPECT_EQ(c.unit_cost.to_string(), "1361.73");
  EXPECT_EQ(c.price_list_version, 7);
}

TEST(PricingCalculator, TotalIsTheSumOfTheBreakdown) {
  const PriceBook book = example_book();
  for (long long q :
       {1LL, 2LL, 3LL, 49LL, 50LL, 99LL, 100LL, 120LL, 777LL, 1000LL, 999'999LL, 1'000'000LL}) {
    const Calculation c = calc_ok(book, {"BRK-200", q, {}});
    const Breakdown& b = c.breakdown;
    EXPECT_EQ(c.total_cost.kopecks(), b.materials.kopecks() + b.machine.kopecks() +
                                          b.setup.kopecks() + b.overhead.kopecks() +
                                          b.margin.kopecks() - b.discount.kopecks())
        << q;
    EXPECT_EQ(c.unit_cost.kopecks(), round_half_up(c.total_cost.kopecks(), q)) << q;
  }
}

TEST(PricingCalculator, QuantityOneAndOneMillion) {
  const PriceBook book = example_book();
  const Calculation one = calc_ok(book, {"BRK-200", 1, {}});
  EXPECT_EQ(one.breakdown.materials.to_string(), "384.14");  // 384.142125
  EXPECT_EQ(one.breakdown.machine.to_string(), "532.38");    // 532.375 -> half up
  EXPECT_EQ(one.breakdown.setup.to_string(), "6633.33");     // setup does not scale
  EXPECT_EQ(one.breakdown.discount.to_string(), "0.00");
  EXPECT_EQ(one.total_cost.to_string(), "11136.03");
  EXPECT_EQ(one.unit_cost, one.total_cost);

  const Calculation million = calc_ok(book, {"BRK-200", 1'000'000, {}});
  EXPECT_EQ(million.breakdown.machine.to_string(), "532375000.00");
  EXPECT_EQ(million.breakdown.discount.to_string(), "162224705.22");  // 12 % tier
  EXPECT_EQ(million.total_cost.to_string(), "1189647838.32");
  EXPECT_EQ(million.unit_cost.to_string(), "1189.65");  // 1189.64783832
}

TEST(PricingCalculator, QuantityRange) {
  const PriceBook book = example_book();
  for (long long q : {0LL, -1LL, 1'000'001LL, std::numeric_limits<long long>::min(),
                      std::numeric_limits<long long>::max()}) {
    const Problem p = calc_error(book, {"BRK-200", q, {}});
    EXPECT_EQ(p.kind, ProblemKind::bad_input) << q;
    EXPECT_EQ(p.code, "quantity_out_of_range") << q;
  }
  EXPECT_TRUE(calculate(book, {"BRK-200", 1, {}}));
  EXPECT_TRUE(calculate(book, {"BRK-200", 1'000'000, {}}));
}

TEST(PricingCalculator, DiscountTierBoundaries) {
  const PriceBook book = example_book();
  auto discount_bp = [&](long long q) {
    const Calculation c = calc_ok(book, {"BRK-200", q, {}});
    const Breakdown& b = c.breakdown;
    const std::int64_t base = b.materials.kopecks() + b.machine.kopecks() + b.setup.kopecks() +
                              b.overhead.kopecks() + b.margin.kopecks();
    // Recover which tier applied: the discount is the rounded tier share of base.
    for (std::int64_t bp : {0, 300, 500, 800, 1000, 1200}) {
      if (round_half_up(static_cast<__int128>(base) * bp, 10'000) == b.discount.kopecks()) {
        return bp;
      }
    }
    return std::int64_t{-1};
  };
  EXPECT_EQ(discount_bp(1), 0);
  EXPECT_EQ(discount_bp(49), 0);
  EXPECT_EQ(discount_bp(50), 300);
  EXPECT_EQ(discount_bp(99), 300);
  EXPECT_EQ(discount_bp(100), 500);
  EXPECT_EQ(discount_bp(499), 500);
  EXPECT_EQ(discount_bp(500), 800);
  EXPECT_EQ(discount_bp(999), 800);
  EXPECT_EQ(discount_bp(1000), 1000);
  EXPECT_EQ(discount_bp(4999), 1000);
  EXPECT_EQ(discount_bp(5000), 1200);
  EXPECT_EQ(discount_bp(1'000'000), 1200);
}

TEST(PricingCalculator, TiersInAnyOrderAndTies) {
  PriceBook book = example_book();
  const Calculation sorted = calc_ok(book, {"BRK-200", 120, {}});
  book.parameters.tiers = {{1000, pct("10")}, {100, pct("4")}, {50, pct("3")}, {100, pct("5")}};
  const Calculation shuffled = calc_ok(book, {"BRK-200", 120, {}});
  EXPECT_EQ(shuffled.breakdown.discount, sorted.breakdown.discount);  // tie -> larger (5 %)
  book.parameters.tiers.clear();
  EXPECT_EQ(calc_ok(book, {"BRK-200", 120, {}}).breakdown.discount, Money());
}

// A chain of 4 levels with round numbers: every level's machine time scales with
// the units needed at that level, setup is per operation, materials at the bottom.
TEST(PricingCalculator, FourLevelExplosion) {
  PriceBook book;
  book.put(Material{"M", "Steel", "kg", rub("100.00")});
  book.put(WorkCenter{"WC", rub("60.00")});  // 1.00 RUB per minute
  book.put(Product{"P1", "part", "parts", {material("M", "0.125", "2.5")}, {op("WC", "10", "1")}});
  book.put(Product{"P2", "sub", "subs", {sub("P1", "0.5")}, {op("WC", "10", "1")}});
  book.put(Product{"P3", "asm", "asms", {sub("P2", "3")}, {op("WC", "10", "1")}});
  book.put(Product{"P4", "top", "tops", {sub("P3", "2")}, {op("WC", "10", "1")}});
  const Calculation c = calc_ok(book, {"P4", 10, {}});
  // Units: P4 10, P3 20, P2 60, P1 30; steel 30 x 0.125 x 1.025 = 3.84375 kg.
  EXPECT_EQ(c.breakdown.materials.to_string(), "384.38");  // 384.375: half up
  EXPECT_EQ(c.breakdown.machine.to_string(), "120.00");    // (10+20+60+30) min x 1.00
  EXPECT_EQ(c.breakdown.setup.to_string(), "40.00");       // 4 operations x 10 min
  EXPECT_EQ(c.breakdown.overhead, Money());
  EXPECT_EQ(c.total_cost.to_string(), "544.38");
  EXPECT_EQ(c.unit_cost.to_string(), "54.44");  // 54.438
}

TEST(PricingCalculator, ScrapAppliesAtEveryLevel) {
  PriceBook book;
  book.put(Material{"M", "Steel", "kg", rub("100.00")});
  book.put(Product{"A", "a", "x", {material("M", "1", "2.5")}, {}});
  book.put(Product{"B", "b", "x", {sub("A", "1", "10")}, {}});
  book.put(Product{"C", "c", "x", {material("M", "1")}, {}});
  EXPECT_EQ(calc_ok(book, {"A", 1, {}}).total_cost.to_string(), "102.50");
  EXPECT_EQ(calc_ok(book, {"B", 1, {}}).total_cost.to_string(), "112.75");  // 1.1 x 1.025
  EXPECT_EQ(calc_ok(book, {"C", 1, {}}).total_cost.to_string(), "100.00");
}

TEST(PricingCalculator, SubAssemblyScrapAddsRoutingForTheExtraUnits) {
  PriceBook book;
  book.put(WorkCenter{"WC", rub("60.00")});
  book.put(Product{"S", "sub", "x", {}, {op("WC", "0", "1")}});
  book.put(Product{"T", "top", "x", {sub("S", "1", "2")}, {}});
  // 120 x 1.02 = 122.4 sub-assemblies of one minute each.
  EXPECT_EQ(calc_ok(book, {"T", 120, {}}).breakdown.machine.to_string(), "122.40");
}

// A sub-assembly reached by two paths is made in one batch: one setup, and run
// time for the units of both paths.
TEST(PricingCalculator, SharedSubAssemblyHasOneSetup) {
  PriceBook book;
  book.put(Material{"M", "Steel", "kg", rub("1.00")});
  book.put(WorkCenter{"WC", rub("60.00")});
  book.put(Product{"C", "c", "x", {material("M", "1")}, {op("WC", "30", "1")}});
  book.put(Product{"A", "a", "x", {sub("C", "2")}, {}});
  book.put(Product{"B", "b", "x", {sub("C", "3")}, {}});
  book.put(Product{"P", "p", "x", {sub("A", "1"), sub("B", "1"), sub("C", "1")}, {}});
  const Calculation c = calc_ok(book, {"P", 10, {}});
  EXPECT_EQ(c.breakdown.materials.to_string(), "60.00");  // (2 + 3 + 1) x 10 kg
  EXPECT_EQ(c.breakdown.machine.to_string(), "60.00");    // 60 units of C
  EXPECT_EQ(c.breakdown.setup.to_string(), "30.00");      // once
}

// 2^30 distinct paths: each product is still visited once.
TEST(PricingCalculator, ExponentialPathCountStaysFast) {
  PriceBook book;
  book.put(Material{"M", "Washer", "pcs", rub("0.01")});
  book.put(Product{"L30", "bottom", "x", {material("M", "1")}, {}});
  for (int level = 29; level >= 0; --level) {
    const std::string below = "L" + std::to_string(level + 1);
    book.put(
        Product{"L" + std::to_string(level), "level", "x", {sub(below, "1"), sub(below, "1")}, {}});
  }
  const auto start = std::chrono::steady_clock::now();
  const Calculation c = calc_ok(book, {"L0", 1, {}});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(c.breakdown.materials.kopecks(), 1LL << 30);
}

TEST(PricingCalculator, MaterialOverridesAndTheirErrors) {
  const PriceBook book = example_book();
  // 120 x 0.12 x 1.1 = 15.84 kg of paint, 15.00 RUB dearer per kg: +237.60.
  const Calculation black = calc_ok(book, {"BRK-200", 120, {{"PNT-RAL7035", "PNT-RAL9005"}}});
  EXPECT_EQ(black.breakdown.materials.to_string(), "46334.66");
  // Identity and unused overrides change nothing.
  const Calculation plain = calc_ok(book, {"BRK-200", 120, {}});
  const Calculation same = calc_ok(
      book, {"BRK-200", 120, {{"PNT-RAL7035", "PNT-RAL7035"}, {"PNT-RAL9005", "PNT-RAL7035"}}});
  EXPECT_EQ(same.total_cost, plain.total_cost);
  // Not transitive: 7035 -> 9005 and 9005 -> 7035 swap, they do not chain back.
  const Calculation swapped = calc_ok(
      book, {"BRK-200", 120, {{"PNT-RAL7035", "PNT-RAL9005"}, {"PNT-RAL9005", "PNT-RAL7035"}}});
  EXPECT_EQ(swapped.breakdown.materials, black.breakdown.materials);

  Problem p = calc_error(book, {"BRK-200", 1, {{"NOPE", "PNT-RAL9005"}}});
  EXPECT_EQ(p.kind, ProblemKind::not_found);
  EXPECT_EQ(p.code, "unknown_material");
  EXPECT_NE(p.message.find("NOPE"), std::string::npos);
  p = calc_error(book, {"BRK-200", 1, {{"PNT-RAL7035", "NOPE"}}});
  EXPECT_EQ(p.code, "unknown_material");
  EXPECT_NE(p.message.find("NOPE"), std::string::npos);
  p = calc_error(book, {"BRK-200", 1, {{"BRK-200-BASE", "PNT-RAL9005"}}});  // a product
  EXPECT_EQ(p.code, "unknown_material");
  p = calc_error(book, {"BRK-200", 1, {{"PNT-RAL7035", "AL-6060-ROD20"}}});  // kg vs m
  EXPECT_EQ(p.kind, ProblemKind::bad_input);
  EXPECT_EQ(p.code, "override_unit_mismatch");
}

TEST(PricingCalculator, UnknownReferences) {
  PriceBook book = example_book();
  Problem p = calc_error(book, {"NOPE-1", 1, {}});
  EXPECT_EQ(p.kind, ProblemKind::not_found);
  EXPECT_EQ(p.code, "unknown_product");
  EXPECT_NE(p.message.find("NOPE-1"), std::string::npos);

  book.products["BRK-200"].bom.push_back(sub("GHOST", "1"));
  p = calc_error(book, {"BRK-200", 1, {}});
  EXPECT_EQ(p.code, "unknown_product");
  EXPECT_NE(p.message.find("GHOST"), std::string::npos);

  book = example_book();
  book.products["BRK-200-BASE"].bom.push_back(material("UNOBTAINIUM", "1"));
  p = calc_error(book, {"BRK-200", 1, {}});
  EXPECT_EQ(p.kind, ProblemKind::not_found);
  EXPECT_EQ(p.code, "unknown_material");
  EXPECT_NE(p.message.find("UNOBTAINIUM"), std::string::npos);

  book = example_book();
  book.products["BRK-200-BASE"].routing.push_back(op("LASER-9", "1", "1"));
  p = calc_error(book, {"BRK-200", 1, {}});
  EXPECT_EQ(p.kind, ProblemKind::not_found);
  EXPECT_EQ(p.code, "unknown_work_center");
}

TEST(PricingCalculator, DirectCycle) {
  PriceBook book;
  book.put(Product{"A", "a", "x", {sub("A", "1")}, {}});
  const Problem p = calc_error(book, {"A", 1, {}});
  EXPECT_EQ(p.kind, ProblemKind::conflict);
  EXPECT_EQ(p.code, "bom_cycle");
  EXPECT_EQ(p.message, "BOM cycle: A -> A");
}

TEST(PricingCalculator, IndirectCycleBelowTheRoot) {
  PriceBook book;
  book.put(Material{"M", "m", "kg", rub("1.00")});
  book.put(Product{"R", "r", "x", {material("M", "1"), sub("A", "1")}, {}});
  book.put(Product{"A", "a", "x", {sub("B", "1")}, {}});
  book.put(Product{"B", "b", "x", {material("M", "1"), sub("C", "2")}, {}});
  book.put(Product{"C", "c", "x", {sub("A", "1")}, {}});
  const Problem p = calc_error(book, {"R", 1, {}});
  EXPECT_EQ(p.code, "bom_cycle");
  EXPECT_EQ(p.message, "BOM cycle: A -> B -> C -> A");
  // The products outside the cycle are fine.
  book.products["C"].bom.clear();
  EXPECT_TRUE(calculate(book, {"R", 1, {}}));
}

TEST(PricingCalculator, DepthLimit) {
  auto chain = [](int levels) {
    PriceBook book;
    book.put(Material{"M", "m", "pcs", rub("1.00")});
    book.put(Product{"P" + std::to_string(levels), "p", "x", {material("M", "1")}, {}});
    for (int i = levels - 1; i >= 0; --i) {
      book.put(
          Product{"P" + std::to_string(i), "p", "x", {sub("P" + std::to_string(i + 1), "1")}, {}});
    }
    return book;
  };
  EXPECT_EQ(calc_ok(chain(kMaxBomDepth), {"P0", 3, {}}).total_cost.to_string(), "3.00");
  const Problem p = calc_error(chain(kMaxBomDepth + 1), {"P0", 1, {}});
  EXPECT_EQ(p.kind, ProblemKind::conflict);
  EXPECT_EQ(p.code, "bom_too_deep");
}

// Deep enough to overflow a recursive explosion's stack; must be prompt.
TEST(PricingCalculator, HugeChainWithCycleNeitherHangsNorBlowsTheStack) {
  constexpr int kLevels = 200'000;
  PriceBook book;
  for (int i = 0; i < kLevels; ++i) {
    book.put(Product{"P" + std::to_string(i),
                     "p",
                     "x",
                     {sub("P" + std::to_string((i + 1) % kLevels), "1")},
                     {}});
  }
  const auto start = std::chrono::steady_clock::now();
  Problem p = calc_error(book, {"P0", 1, {}});
  EXPECT_EQ(p.code, "bom_cycle");
  EXPECT_EQ(p.message.rfind("BOM cycle: P0 -> P1 -> P2 -> ", 0), 0u);
  EXPECT_NE(p.message.find(" -> ... -> P199992 -> "), std::string::npos);  // shortened
  EXPECT_NE(p.message.find("P199999 -> P0 (200000 products)"), std::string::npos);
  book.products["P" + std::to_string(kLevels - 1)].bom.clear();  // now an acyclic chain
  p = calc_error(book, {"P0", 1, {}});
  EXPECT_EQ(p.code, "bom_too_deep");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(PricingCalculator, LargePricesAtOneMillionUnitsStayExact) {
  PriceBook book;
  book.put(Material{"GOLD", "Gold wire", "kg", rub("9500000.00")});
  book.put(WorkCenter{"CNC-1", rub("25000.00")});
  book.put(Product{
      "X", "x", "x", {material("GOLD", "0.999999", "2.5")}, {op("CNC-1", "600", "59.999999")}});
  book.parameters.overhead = pct("35");
  book.parameters.margin = pct("40");
  const Calculation c = calc_ok(book, {"X", 1'000'000, {}});
  // 1e6 x 0.999999 x 1.025 x 9'500'000.00 = 9'737'490'262'500.00 exactly.
  EXPECT_EQ(c.breakdown.materials.to_string(), "9737490262500.00");
  // 1e6 x 59.999999 min x 25'000.00 / 60 = 24'999'999'583.333... -> .33
  EXPECT_EQ(c.breakdown.machine.to_string(), "24999999583.33");
  EXPECT_EQ(c.breakdown.setup.to_string(), "250000.00");
  const Breakdown& b = c.breakdown;
  EXPECT_EQ(c.total_cost.kopecks(), b.materials.kopecks() + b.machine.kopecks() +
                                        b.setup.kopecks() + b.overhead.kopecks() +
                                        b.margin.kopecks() - b.discount.kopecks());
  EXPECT_GT(c.total_cost.kopecks(), 0);
}

TEST(PricingCalculator, OverflowIsAnErrorNotAWrap) {
  PriceBook book;
  book.put(Material{"MAX", "Most expensive storable", "kg", rub("999999999999.99")});
  book.put(Product{"X", "x", "x", {material("MAX", "999999999999.999999", "100")}, {}});
  Problem p = calc_error(book, {"X", 1'000'000, {}});
  EXPECT_EQ(p.kind, ProblemKind::bad_input);
  EXPECT_EQ(p.code, "amount_out_of_range");
  EXPECT_NE(p.message.find("materials"), std::string::npos);

  // Fits as materials but overflows once overhead and margin are added.
  book.put(
      Material{"BIG", "big", "kg", Money::from_kopecks(std::numeric_limits<std::int64_t>::max())});
  book.put(Product{"Y", "y", "x", {material("BIG", "1")}, {}});
  book.parameters.overhead = pct("1");
  p = calc_error(book, {"Y", 1, {}});
  EXPECT_EQ(p.code, "amount_out_of_range");

  book.put(WorkCenter{"WC", rub("999999999999.99")});
  book.put(Product{"Z", "z", "x", {}, {op("WC", "0", "999999999999.999999")}});
  p = calc_error(book, {"Z", 1'000'000, {}});
  EXPECT_EQ(p.code, "amount_out_of_range");
  EXPECT_NE(p.message.find("machine"), std::string::npos);
}

TEST(PricingCalculator, InvalidReferenceData) {
  PriceBook book = example_book();
  book.materials["STL-S235-4"].price = Money::from_kopecks(-1);
  EXPECT_EQ(calc_error(book, {"BRK-200", 1, {}}).code, "invalid_reference_data");
  book = example_book();
  book.products["BRK-200"].bom[0].scrap = Bp{-1};
  EXPECT_EQ(calc_error(book, {"BRK-200", 1, {}}).code, "invalid_reference_data");
  book = example_book();
  book.parameters.tiers.push_back({1, Bp{10'001}});
  const Problem p = calc_error(book, {"BRK-200", 1, {}});
  EXPECT_EQ(p.kind, ProblemKind::conflict);
  EXPECT_EQ(p.code, "invalid_reference_data");
  book.parameters.tiers.back().discount = Bp{10'000};  // 100 % is allowed: total 0.00
  EXPECT_EQ(calc_ok(book, {"BRK-200", 1, {}}).total_cost, Money());
}

TEST(PricingCanonicalRequestKey, SameMeaningSameKey) {
  const std::string plain = canonical_request_key({"BRK-200", 120, {}});
  EXPECT_EQ(plain, "v1|sku=BRK-200|qty=120|ovr=");
  // An identity override is kept: for an unknown material it is an error (404) while
  // the plain request is not, so the two must not share a cache entry.
  EXPECT_EQ(canonical_request_key({"BRK-200", 120, {{"PNT-RAL7035", "PNT-RAL7035"}}}),
            "v1|sku=BRK-200|qty=120|ovr=PNT-RAL7035>PNT-RAL7035");
  EXPECT_NE(canonical_request_key({"BRK-200", 120, {{"NOPE", "NOPE"}}}), plain);

  CalculationRequest a{"BRK-200", 120, {}};
  a.material_overrides["PNT-RAL7035"] = "PNT-RAL9005";
  a.material_overrides["FST-M10X30"] = "FST-M10X35";
  CalculationRequest b{"BRK-200", 120, {}};
  b.material_overrides["FST-M10X30"] = "FST-M10X35";
  b.material_overrides["PNT-RAL7035"] = "PNT-RAL9005";
  EXPECT_EQ(canonical_request_key(a), canonical_request_key(b));
  EXPECT_EQ(canonical_request_key(a),
            "v1|sku=BRK-200|qty=120|ovr=FST-M10X30>FST-M10X35,PNT-RAL7035>PNT-RAL9005");
}

TEST(PricingCanonicalRequestKey, DifferentMeaningDifferentKey) {
  EXPECT_NE(canonical_request_key({"BRK-200", 120, {}}),
            canonical_request_key({"BRK-200", 12, {}}));
  EXPECT_NE(canonical_request_key({"BRK-200", 120, {}}),
            canonical_request_key({"brk-200", 120, {}}));
  // Separators inside values are escaped, so these cannot collide.
  const std::string k1 = canonical_request_key({"A|qty=1", 2, {}});
  const std::string k2 = canonical_request_key({"A", 1, {}});
  EXPECT_NE(k1, k2);
  EXPECT_EQ(k1, "v1|sku=A%7Cqty%3D1|qty=2|ovr=");
  EXPECT_NE(canonical_request_key({"P", 1, {{"A>B", "C"}}}),
            canonical_request_key({"P", 1, {{"A", "B>C"}}}));
  EXPECT_NE(canonical_request_key({"P", 1, {{"A", "B,C>D"}}}),
            canonical_request_key({"P", 1, {{"A", "B"}, {"C", "D"}}}));
  EXPECT_EQ(canonical_request_key({"\xd0\x91%", 1, {}}), "v1|sku=%D0%91%25|qty=1|ovr=");
}

}  // namespace
}  // namespace shopfloor::pricing
