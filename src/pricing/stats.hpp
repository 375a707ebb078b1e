// Metrics of the Pricing API, declared in one list (the cache's own request, hit and
// miss counters are in cache/stats.hpp under cache="calculation" and "catalog"):
//
//   shopfloor_pricing_calculations_total{partner,result}   every POST /calculations that
//       passed authentication; partner = the principal's name (never the token);
//       result = ok | bad_input | not_found | conflict | unavailable | error
//   shopfloor_pricing_calculation_duration_seconds           histogram, the calculator
//       alone (cache misses only)
//   shopfloor_pricing_price_book_loads_total{result}        full reloads, ok | error
//   shopfloor_pricing_reference_updates_total{table}        PUT /materials, /tariffs
//
// Partner names are bounded by the tokens an admin issued, so the label set stays
// small. CalculationCounters remembers each instrument per shard, so the registry's
// mutex is taken once per (partner, result), not per request.
//
// Thread-safety: instruments are shared atomics; a CalculationCounters belongs to one
// shard.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "core/problem.hpp"
#include "metrics/registry.hpp"

namespace shopfloor::pricing {

struct PricingStats {
  metrics::Histogram& calculation_seconds;
  metrics::Counter& book_loads_ok;
  metrics::Counter& book_loads_error;
  metrics::Counter& material_updates;
  metrics::Counter& tariff_updates;

  static PricingStats& instance();  // in metrics::default_registry()
};

// The `result` label of a calculation's outcome.
std::string_view calculation_result(const Problem* failure);

class CalculationCounters {
 public:
  metrics::Counter& get(const std::string& partner, std::string_view result);

 private:
  std::map<std::pair<std::string, std::string>, metrics::Counter*, std::less<>> counters_;
};

}  // namespace shopfloor::pricing
