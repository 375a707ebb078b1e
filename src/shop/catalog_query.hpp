// The query of GET /catalog/products and the cache keys of the catalog. Pure.
//
//   category   optional; exact match; an empty value means no filter   invalid_category
//   page       optional, decimal integer 1..kMaxPage, default 1         invalid_page
//   page_size  optional, decimal integer 1..200, default 50             invalid_page_size
//   anything else                                                       unknown_parameter
//   a parameter given twice                                             repeated_parameter
// All are bad_input (400). Digits only: "+1", " 1", "1.0", "01e1" are refused; leading
// zeros are fine ("02" is page 2).
//
// Keys: requests that mean the same get the same key whatever the parameter order and
// whether defaults are spelled out ("?page=1&page_size=50" = ""); values are
// percent-encoded outside [A-Za-z0-9._-], so different requests never collide:
//   "list|cat=*|page=1|size=50", "list|cat==racks|page=2|size=20", "item|BRK-200".
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/problem.hpp"

namespace shopfloor::shop {

inline constexpr long long kDefaultPageSize = 50;
inline constexpr long long kMaxPageSize = 200;
// Far beyond any real catalogue; keeps (page - 1) x page_size well inside int64.
inline constexpr long long kMaxPage = 1'000'000'000;
inline constexpr std::size_t kMaxCategoryBytes = 128;
// Longer path segments are answered 404 without a lookup.
inline constexpr std::size_t kMaxSkuBytes = 128;

struct CatalogQuery {
  std::optional<std::string> category;  // nullopt: every category
  long long page = 1;
  long long page_size = kDefaultPageSize;
};

Result<CatalogQuery> parse_catalog_query(
    const std::vector<std::pair<std::string, std::string>>& query);

std::string catalog_list_key(const CatalogQuery& q);
std::string catalog_item_key(std::string_view sku);

}  // namespace shopfloor::shop
