// The Shop catalog in PostgreSQL: products that have a list_price (sql/0002_pricing.sql;
// NULL means "not offered in the shop"), filtered, paged, ordered by sku.
//
// A page and its total come from one statement, hence one snapshot: the total always
// matches the items. list_price is returned as PostgreSQL prints numeric(14,2), which
// is the contract's money form ("1234.50").
//
// Errors: database unreachable or slow → unavailable (503); anything else internal.
// Cancellation: bounded by the pool's query_timeout and acquire_timeout.
// Thread-safety: functions over one shard's Pool, on that shard's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "shop/catalog_query.hpp"

namespace shopfloor::pg {
class Pool;
}

namespace shopfloor::shop {

struct CatalogProduct {
  std::string sku, name, category, list_price;
};

struct CatalogPage {
  std::vector<CatalogProduct> items;
  long long total = 0;  // matching products over all pages
};

boost::asio::awaitable<Result<CatalogPage>> list_catalog(pg::Pool& db, const CatalogQuery& q);

// nullopt: no such sku, or not offered in the shop.
boost::asio::awaitable<Result<std::optional<CatalogProduct>>> find_catalog_product(
    pg::Pool& db, const std::string& sku);

}  // namespace shopfloor::shop
