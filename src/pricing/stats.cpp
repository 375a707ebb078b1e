// The instruments listed in stats.hpp.
#include "pricing/stats.hpp"

namespace shopfloor::pricing {
namespace {

constexpr const char* kCalculationsName = "shopfloor_pricing_calculations_total";
constexpr const char* kCalculationsHelp =
    "Cost calculations requested, by partner (principal name) and outcome.";

}  // namespace

PricingStats& PricingStats::instance() {
  static PricingStats stats = [] {
    auto& r = metrics::default_registry();
    const char* loads_help = "Full reloads of the price book from PostgreSQL.";
    const char* updates_help = "Reference-data price updates through the API.";
    return PricingStats{
        r.histogram("shopfloor_pricing_calculation_duration_seconds",
                    "Time the cost calculator took on cache misses."),
        r.counter("shopfloor_pricing_price_book_loads_total", loads_help, {{"result", "ok"}}),
        r.counter("shopfloor_pricing_price_book_loads_total", loads_help, {{"result", "error"}}),
        r.counter("shopfloor_pricing_reference_updates_total", updates_help,
                  {{"table", "materials"}}),
        r.counter("shopfloor_pricing_reference_updates_total", updates_help,
                  {{"table", "work_centers"}}),
    };
  }();
  return stats;
}

std::string_view calculation_result(const Problem* failure) {
  if (failure == nullptr) return "ok";
  switch (failure->kind) {
    case ProblemKind::bad_input:
      return "bad_input";
    case ProblemKind::not_found:
      return "not_found";
    case ProblemKind::conflict:
      return "conflict";
    case ProblemKind::unavailable:
      return "unavailable";
    default:
      return "error";
  }
}

metrics::Counter& CalculationCounters::get(const std::string& partner, std::string_view result) {
  auto key = std::make_pair(partner, std::string(result));
  auto it = counters_.find(key);
  if (it != counters_.end()) return *it->second;
  metrics::Counter& c =
      metrics::default_registry().counter(kCalculationsName, kCalculationsHelp,
                                          {{"partner", partner}, {"result", std::string(result)}});
  counters_.emplace(std::move(key), &c);
  return c;
}

}  // namespace shopfloor::pricing
