// The SQL of the Pricing API and the conversion of its rows into calculator types.
#include "pricing/repository.hpp"

#include <spdlog/spdlog.h>

#include "pg/pool.hpp"
#include "pg/transaction.hpp"

namespace shopfloor::pricing {
namespace {

using boost::asio::awaitable;

// Each statement reads text: numerics print exactly (numeric(14,2) as "98.50"), and
// the calculator's parsers take that text without rounding.
constexpr const char* kVersionSql = "SELECT version FROM price_list_version";
constexpr const char* kBookBegin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
constexpr const char* kBookMaterialsSql = "SELECT code, name, unit, price FROM materials";
constexpr const char* kBookWorkCentersSql = "SELECT code, hourly_rate FROM work_centers";
constexpr const char* kBookProductsSql = "SELECT sku, name, category FROM products";
constexpr const char* kBookBomSql =
    "SELECT product_sku, component_sku, material_code, quantity, scrap_pct FROM bom_lines "
    "ORDER BY product_sku, line_no";
constexpr const char* kBookRoutingSql =
    "SELECT product_sku, work_center, setup_minutes, run_minutes_per_unit "
    "FROM routing_operations ORDER BY product_sku, seq";
constexpr const char* kBookParametersSql =
    "SELECT overhead_pct, margin_pct FROM pricing_parameters";
constexpr const char* kBookTiersSql =
    "SELECT min_quantity, discount_pct FROM discount_tiers ORDER BY min_quantity";

constexpr const char* kProductsSql = "SELECT sku, name, category FROM products ORDER BY sku";

#define SF_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
// One statement, one snapshot: the list and the version agree.
constexpr const char* kMaterialsSql =
    "SELECT code, name, unit, price, " SF_UTC("updated_at") ", "
    "(SELECT version FROM price_list_version) FROM materials ORDER BY code";
constexpr const char* kTariffsSql =
    "SELECT code, name, hourly_rate, (SELECT version FROM price_list_version) "
    "FROM work_centers ORDER BY code";
constexpr const char* kSetMaterialPriceSql =
    "UPDATE materials SET price = $2::numeric WHERE code = $1 "
    "RETURNING code, name, unit, price, " SF_UTC("updated_at");
#undef SF_UTC
constexpr const char* kSetHourlyRateSql =
    "UPDATE work_centers SET hourly_rate = $2::numeric WHERE code = $1 "
    "RETURNING code, name, hourly_rate";

// Logs what the client will not see (server messages may quote data), then maps.
Problem db_problem(const pg::Error& e, std::string_view what) {
  if (e.kind == pg::Error::Kind::query) {
    spdlog::error("pricing: {} failed: {}", what, pg::to_string(e));
  } else {
    spdlog::warn("pricing: {} failed: {}", what, pg::to_string(e));
  }
  return e.to_problem();
}

Problem bad_row(std::string_view table, std::string_view key, std::string_view column,
                std::string_view text) {
  // The schema's column types make this unreachable; if it happens it is a bug here.
  return Problem::internal("pricing: cannot read " + std::string(table) + " " + std::string(key) +
                           " " + std::string(column) + " = '" + std::string(text) + "'");
}

template <class T, class Parse>
Result<T> read(const pg::Rows& rows, int row, int col, Parse parse, std::string_view table,
               std::string_view column) {
  auto v = parse(rows.text(row, col));
  if (!v) return bad_row(table, rows.text(row, 0), column, rows.text(row, col));
  return *v;
}

Result<MaterialRecord> material_from(const pg::Rows& rows, int i) {
  MaterialRecord m{std::string(rows.text(i, 0)),
                   std::string(rows.text(i, 1)),
                   std::string(rows.text(i, 2)),
                   {},
                   std::string(rows.text(i, 4))};
  auto price = read<Money>(rows, i, 3, Money::parse, "material", "price");
  if (!price) return price.error();
  m.price = *price;
  return m;
}

Result<TariffRecord> tariff_from(const pg::Rows& rows, int i) {
  TariffRecord t{std::string(rows.text(i, 0)), std::string(rows.text(i, 1)), {}};
  auto rate = read<Money>(rows, i, 2, Money::parse, "work centre", "hourly_rate");
  if (!rate) return rate.error();
  t.hourly_rate = *rate;
  return t;
}

Result<void> fill_book(PriceBook& book, const pg::Rows& materials, const pg::Rows& centers,
                       const pg::Rows& products, const pg::Rows& bom, const pg::Rows& routing,
                       const pg::Rows& parameters, const pg::Rows& tiers) {
  for (int i = 0; i < materials.size(); ++i) {
    auto price = read<Money>(materials, i, 3, Money::parse, "material", "price");
    if (!price) return price.error();
    book.put(Material{std::string(materials.text(i, 0)), std::string(materials.text(i, 1)),
                      std::string(materials.text(i, 2)), *price});
  }
  for (int i = 0; i < centers.size(); ++i) {
    auto rate = read<Money>(centers, i, 1, Money::parse, "work centre", "hourly_rate");
    if (!rate) return rate.error();
    book.put(WorkCenter{std::string(centers.text(i, 0)), *rate});
  }
  for (int i = 0; i < products.size(); ++i) {
    book.put(Product{std::string(products.text(i, 0)),
                     std::string(products.text(i, 1)),
                     std::string(products.text(i, 2)),
                     {},
                     {}});
  }
  for (int i = 0; i < bom.size(); ++i) {
    auto parent = book.products.find(bom.text(i, 0));
    if (parent == book.products.end())
      return bad_row("bom line", bom.text(i, 0), "product_sku", "");
    BomLine line;
    line.is_material = bom.is_null(i, 1);
    line.component = std::string(line.is_material ? bom.text(i, 2) : bom.text(i, 1));
    auto q = read<Qty>(bom, i, 3, Qty::parse, "bom line of", "quantity");
    if (!q) return q.error();
    auto scrap = read<Bp>(bom, i, 4, Bp::parse_percent, "bom line of", "scrap_pct");
    if (!scrap) return scrap.error();
    line.quantity_per_unit = *q;
    line.scrap = *scrap;
    parent->second.bom.push_back(std::move(line));
  }
  for (int i = 0; i < routing.size(); ++i) {
    auto parent = book.products.find(routing.text(i, 0));
    if (parent == book.products.end())
      return bad_row("routing", routing.text(i, 0), "product_sku", "");
    auto setup = read<Minutes>(routing, i, 2, Minutes::parse, "routing of", "setup_minutes");
    if (!setup) return setup.error();
    auto run = read<Minutes>(routing, i, 3, Minutes::parse, "routing of", "run_minutes_per_unit");
    if (!run) return run.error();
    parent->second.routing.push_back(Operation{std::string(routing.text(i, 1)), *setup, *run});
  }
  if (parameters.size() == 1) {
    auto overhead =
        read<Bp>(parameters, 0, 0, Bp::parse_percent, "pricing_parameters", "overhead_pct");
    if (!overhead) return overhead.error();
    auto margin = read<Bp>(parameters, 0, 1, Bp::parse_percent, "pricing_parameters", "margin_pct");
    if (!margin) return margin.error();
    book.parameters.overhead = *overhead;
    book.parameters.margin = *margin;
  }
  for (int i = 0; i < tiers.size(); ++i) {
    auto discount = read<Bp>(tiers, i, 1, Bp::parse_percent, "discount tier", "discount_pct");
    if (!discount) return discount.error();
    book.parameters.tiers.push_back(DiscountTier{tiers.int64(i, 0), *discount});
  }
  return {};
}

}  // namespace

awaitable<Result<long long>> read_price_list_version(pg::Pool& db) {
  auto rows = co_await db.query(kVersionSql);
  if (!rows) co_return db_problem(rows.error(), "reading price_list_version");
  if (rows->size() != 1) co_return Problem::internal("price_list_version must hold one row");
  co_return rows->int64(0, 0);
}

awaitable<Result<PriceBook>> load_price_book(pg::Pool& db) {
  auto tx = co_await pg::Transaction::begin(db, kBookBegin);
  if (!tx) co_return db_problem(tx.error(), "loading the price book");
  // Issued one after another on the transaction's connection; ~8 short round trips.
  const char* const statements[] = {kVersionSql,        kBookMaterialsSql, kBookWorkCentersSql,
                                    kBookProductsSql,   kBookBomSql,       kBookRoutingSql,
                                    kBookParametersSql, kBookTiersSql};
  std::vector<pg::Rows> results;
  results.reserve(std::size(statements));
  for (const char* sql : statements) {
    auto rows = co_await tx->query(sql);
    if (!rows) co_return db_problem(rows.error(), "loading the price book");
    results.push_back(std::move(*rows));
  }
  auto committed = co_await tx->commit();
  if (!committed) co_return db_problem(committed.error(), "loading the price book");
  if (results[0].size() != 1) co_return Problem::internal("price_list_version must hold one row");

  PriceBook book;
  book.version = results[0].int64(0, 0);
  auto filled = fill_book(book, results[1], results[2], results[3], results[4], results[5],
                          results[6], results[7]);
  if (!filled) co_return filled.error();
  co_return book;
}

awaitable<Result<std::vector<ProductSummary>>> list_products(pg::Pool& db) {
  auto rows = co_await db.query(kProductsSql);
  if (!rows) co_return db_problem(rows.error(), "listing products");
  std::vector<ProductSummary> out;
  out.reserve(static_cast<std::size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) {
    out.push_back({std::string(rows->text(i, 0)), std::string(rows->text(i, 1)),
                   std::string(rows->text(i, 2))});
  }
  co_return out;
}

awaitable<Result<Versioned<std::vector<MaterialRecord>>>> list_materials(pg::Pool& db) {
  auto rows = co_await db.query(kMaterialsSql);
  if (!rows) co_return db_problem(rows.error(), "listing materials");
  Versioned<std::vector<MaterialRecord>> out;
  if (rows->size() > 0) {
    out.price_list_version = rows->int64(0, 5);
  } else {
    auto v = co_await read_price_list_version(db);
    if (!v) co_return v.error();
    out.price_list_version = *v;
  }
  for (int i = 0; i < rows->size(); ++i) {
    auto m = material_from(*rows, i);
    if (!m) co_return m.error();
    out.value.push_back(std::move(*m));
  }
  co_return out;
}

awaitable<Result<Versioned<std::vector<TariffRecord>>>> list_tariffs(pg::Pool& db) {
  auto rows = co_await db.query(kTariffsSql);
  if (!rows) co_return db_problem(rows.error(), "listing tariffs");
  Versioned<std::vector<TariffRecord>> out;
  if (rows->size() > 0) {
    out.price_list_version = rows->int64(0, 3);
  } else {
    auto v = co_await read_price_list_version(db);
    if (!v) co_return v.error();
    out.price_list_version = *v;
  }
  for (int i = 0; i < rows->size(); ++i) {
    auto t = tariff_from(*rows, i);
    if (!t) co_return t.error();
    out.value.push_back(std::move(*t));
  }
  co_return out;
}

namespace {

// UPDATE ... RETURNING, then the version the trigger produced, in one transaction.
// `from_row` converts the one returned row; no row → rolled back, `missing`.
template <class Record, class FromRow>
awaitable<Result<Versioned<Record>>> update_and_version(pg::Pool& db, const char* sql,
                                                        std::string key, Money amount,
                                                        FromRow from_row, Problem missing,
                                                        std::string_view what) {
  auto tx = co_await pg::Transaction::begin(db);
  if (!tx) co_return db_problem(tx.error(), what);
  auto rows = co_await tx->query(sql, pg::params(key, amount.to_string()));
  if (!rows) co_return db_problem(rows.error(), what);
  if (rows->size() == 0) {
    co_await tx->rollback();  // the statement trigger bumped the version for nothing
    co_return missing;
  }
  auto record = from_row(*rows, 0);
  if (!record) co_return record.error();
  auto version = co_await tx->query(kVersionSql);
  if (!version) co_return db_problem(version.error(), what);
  auto committed = co_await tx->commit();
  if (!committed) co_return db_problem(committed.error(), what);
  co_return Versioned<Record>{std::move(*record), version->int64(0, 0)};
}

}  // namespace

awaitable<Result<Versioned<MaterialRecord>>> set_material_price(pg::Pool& db,
                                                                const std::string& code,
                                                                Money price) {
  Problem missing{ProblemKind::not_found, "unknown_material", "no material with this code"};
  co_return co_await update_and_version<MaterialRecord>(db, kSetMaterialPriceSql, code, price,
                                                        material_from, std::move(missing),
                                                        "updating a material price");
}

awaitable<Result<Versioned<TariffRecord>>> set_hourly_rate(pg::Pool& db,
                                                           const std::string& work_center,
                                                           Money hourly_rate) {
  Problem missing{ProblemKind::not_found, "unknown_work_center", "no work centre with this code"};
  co_return co_await update_and_version<TariffRecord>(db, kSetHourlyRateSql, work_center,
                                                      hourly_rate, tariff_from, std::move(missing),
                                                      "updating an hourly rate");
}

}  // namespace shopfloor::pricing
