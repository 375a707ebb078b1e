// PriceBookSnapshot: the shard's in-memory copy of the price book, kept current by the
// price-list version.
//
// current() reads price_list_version (one cheap query) on every call and reloads the
// whole book only when the version differs from the loaded one (lower counts too: the
// database was restored or re-created). So a calculation that
// misses the cache costs that query plus the calculator, and a price change committed
// before the call is always seen: the version moves in the same transaction as the
// data (sql/0002_pricing.sql), nothing waits for a notification.
//
// Concurrent calls share work without losing freshness: a call uses a version read
// that started after the call itself (callers arriving while a read is in flight
// share the next one), so a burst of misses costs one or two version queries, not
// one each; calls that need a reload share one load (single flight). A book is immutable once
// published (shared_ptr<const PriceBook>): calculations in flight keep the book they started with.
//
// Errors: the database unreachable or slow → unavailable (503). Nothing is served
// from an old book when the version cannot be read, since that could be stale.
// Cancellation: every wait is bounded by the pool's deadlines (a waiter waits at most
// as long as the load it joined).
// Thread-safety: none; one per shard, used on the thread of its Pool.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>

#include "core/problem.hpp"
#include "pricing/calculator.hpp"

namespace shopfloor::pg {
class Pool;
}

namespace shopfloor::pricing {

class PriceBookSnapshot {
 public:
  explicit PriceBookSnapshot(pg::Pool& db);
  ~PriceBookSnapshot();
  PriceBookSnapshot(const PriceBookSnapshot&) = delete;
  PriceBookSnapshot& operator=(const PriceBookSnapshot&) = delete;

  // A book at least as new as the version committed when the call started.
  boost::asio::awaitable<Result<std::shared_ptr<const PriceBook>>> current();

  // Version of the loaded book; 0 before the first load.
  long long loaded_version() const { return book_ ? book_->version : 0; }
  // Completed full loads and price_list_version queries (for tests and logs).
  std::uint64_t loads() const { return loads_; }
  std::uint64_t version_reads() const { return version_reads_; }

 private:
  struct Flight;
  struct VersionRead;
  boost::asio::awaitable<Result<long long>> fresh_version();
  boost::asio::awaitable<Result<long long>> run_version_read(std::shared_ptr<VersionRead> read);
  boost::asio::awaitable<Result<std::shared_ptr<const PriceBook>>> reload();

  pg::Pool& db_;
  std::shared_ptr<const PriceBook> book_;
  std::shared_ptr<Flight> flight_;        // the load in progress, if any
  std::shared_ptr<VersionRead> reading_;  // the version read in progress, if any
  std::shared_ptr<VersionRead> next_;     // the read that starts when reading_ ends

  std::uint64_t loads_ = 0;
  std::uint64_t version_reads_ = 0;
};

}  // namespace shopfloor::pricing
