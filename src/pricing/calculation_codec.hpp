// The wire form of a calculation (contract, "Pricing API"): reading the POST
// /calculations body into a CalculationRequest, and writing a Calculation as the
// answer body. Pure: no I/O, no clock (the caller passes calculated_at).
//
// Request rules (every violation is bad_input, HTTP 400, and never reaches the
// calculator or the cache):
//   product_sku         required string, 1..kMaxSkuBytes bytes     invalid_product_sku
//   quantity            required JSON integer (not 120.0, not "120") invalid_quantity
//                       within 1..1'000'000                        quantity_out_of_range
//   material_overrides  optional object of string -> string (code -> code), at most
//                       kMaxOverrides entries; absent equals {}    invalid_material_overrides
//   any other member                                               unknown_field
//   missing required member                                        missing_field
// Whether the product and materials exist is the calculator's question (404).
//
// Answer: {"product_sku","quantity","currency":"RUB","unit_cost","total_cost",
// "breakdown":{"materials","machine","setup","overhead","margin","discount"},
// ["material_overrides":{...} when the request had any,] "price_list_version",
// "calculated_at"}; money as strings with two fraction digits.
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "core/problem.hpp"
#include "pricing/calculator.hpp"

namespace shopfloor::pricing {

inline constexpr std::size_t kMaxSkuBytes = 128;
inline constexpr std::size_t kMaxOverrides = 100;

Result<CalculationRequest> parse_calculation_request(const boost::json::object& body);

std::string render_calculation(const Calculation& c, const CalculationRequest& request,
                               std::string_view calculated_at);

// RFC 3339 in UTC with whole seconds, e.g. "2026-11-24T09:30:00Z".
std::string rfc3339_utc(std::chrono::system_clock::time_point t);

}  // namespace shopfloor::pricing
