// The SQL of the Shop API.
#include "shop/repository.hpp"

#include <spdlog/spdlog.h>

#include "pg/pool.hpp"

namespace shopfloor::shop {
namespace {

using boost::asio::awaitable;

// LEFT JOIN from a one-row relation: a page past the end still yields one row, with
// the total and NULL columns, so the count never needs a second statement.
constexpr const char* kListSql = R"sql(
WITH matching AS (
  SELECT sku, name, category, list_price FROM products
  WHERE list_price IS NOT NULL AND ($1::text IS NULL OR category = $1::text)
), page AS (
  SELECT * FROM matching ORDER BY sku LIMIT $2::bigint OFFSET $3::bigint
)
SELECT (SELECT count(*) FROM matching), page.sku, page.name, page.category, page.list_price
FROM (SELECT 1) AS one LEFT JOIN page ON true
ORDER BY page.sku)sql";

constexpr const char* kItemSql =
    "SELECT sku, name, category, list_price FROM products "
    "WHERE sku = $1 AND list_price IS NOT NULL";

Problem db_problem(const pg::Error& e, std::string_view what) {
  if (e.kind == pg::Error::Kind::query) {
    spdlog::error("shop: {} failed: {}", what, pg::to_string(e));
  } else {
    spdlog::warn("shop: {} failed: {}", what, pg::to_string(e));
  }
  return e.to_problem();
}

}  // namespace

awaitable<Result<CatalogPage>> list_catalog(pg::Pool& db, const CatalogQuery& q) {
  const long long offset = (q.page - 1) * q.page_size;  // bounded by kMaxPage x kMaxPageSize
  auto rows = co_await db.query(kListSql, pg::params(q.category, q.page_size, offset));
  if (!rows) co_return db_problem(rows.error(), "listing the catalog");
  CatalogPage page;
  if (rows->size() > 0) page.total = rows->int64(0, 0);
  for (int i = 0; i < rows->size(); ++i) {
    if (rows->is_null(i, 1)) continue;  // the page is past the end
    page.items.push_back({std::string(rows->text(i, 1)), std::string(rows->text(i, 2)),
                          std::string(rows->text(i, 3)), std::string(rows->text(i, 4))});
  }
  co_return page;
}

awaitable<Result<std::optional<CatalogProduct>>> find_catalog_product(pg::Pool& db,
                                                                      const std::string& sku) {
  auto rows = co_await db.query(kItemSql, pg::params(sku));
  if (!rows) co_return db_problem(rows.error(), "reading a catalog product");
  if (rows->size() == 0) co_return std::optional<CatalogProduct>();
  co_return std::optional<CatalogProduct>(
      CatalogProduct{std::string(rows->text(0, 0)), std::string(rows->text(0, 1)),
                     std::string(rows->text(0, 2)), std::string(rows->text(0, 3))});
}

}  // namespace shopfloor::shop
