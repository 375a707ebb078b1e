// Pricing reference data in PostgreSQL (sql/0002_pricing.sql): the whole price book
// for the calculator, the price-list version, and the reads and writes of the
// reference-data endpoints. All SQL of the Pricing API lives in repository.cpp.
//
// Consistency: a price book is read in one REPEATABLE READ, READ ONLY transaction,
// so its data and its `version` come from one snapshot. A price write and the read of
// the version it produced are one transaction: the statement trigger has bumped the
// version by then, so the version returned is the one that includes the write. A
// write that matches no row is rolled back (the trigger fires per statement, even for
// zero rows, and must not bump the version for a 404).
//
// Errors: database unreachable or slow → unavailable (503); reference data the
// calculator cannot represent → internal (500, logged); unknown code → not_found
// with code unknown_material / unknown_work_center.
//
// Cancellation: every statement is bounded by the pool's query_timeout and
// acquire_timeout (pg/options.hpp); nothing here waits without a deadline.
// Thread-safety: functions over one shard's Pool, on that shard's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "pricing/calculator.hpp"

namespace shopfloor::pg {
class Pool;
}

namespace shopfloor::pricing {

struct ProductSummary {
  std::string sku, name, category;
};

struct MaterialRecord {
  std::string code, name, unit;
  Money price;
  std::string updated_at;  // RFC 3339 UTC
};

struct TariffRecord {
  std::string work_center, name;
  Money hourly_rate;
};

// A read or a write together with the price_list_version it saw or produced.
template <class T>
struct Versioned {
  T value;
  long long price_list_version = 0;
};

// One cheap query: SELECT version FROM price_list_version.
boost::asio::awaitable<Result<long long>> read_price_list_version(pg::Pool& db);

// Every material, work centre, product (with BOM and routing), the parameters and
// tiers, and the version they were read at.
boost::asio::awaitable<Result<PriceBook>> load_price_book(pg::Pool& db);

// Every product, ordered by sku.
boost::asio::awaitable<Result<std::vector<ProductSummary>>> list_products(pg::Pool& db);

// Ordered by code / work centre.
boost::asio::awaitable<Result<Versioned<std::vector<MaterialRecord>>>> list_materials(pg::Pool& db);
boost::asio::awaitable<Result<Versioned<std::vector<TariffRecord>>>> list_tariffs(pg::Pool& db);

boost::asio::awaitable<Result<Versioned<MaterialRecord>>> set_material_price(
    pg::Pool& db, const std::string& code, Money price);
boost::asio::awaitable<Result<Versioned<TariffRecord>>> set_hourly_rate(
    pg::Pool& db, const std::string& work_center, Money hourly_rate);

}  // namespace shopfloor::pricing
