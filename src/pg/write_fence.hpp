// Write fence through PostgreSQL: when a write could not retire the cache entries it made
// stale (the cache did not answer), it must not be acknowledged while other processes can
// still serve those entries. Every process retires on the write's change notification
// (its ChangeFeedListener), so the write waits until this process's own listener has
// received a notification sent after the write committed — PostgreSQL delivers
// notifications in commit order, to every listening session at once — and then a margin
// for the other processes to act on theirs.
//
// Guarantee reached: a write whose retirement was not delivered answers only after its
// change notification has reached this process's listener plus `margin` (default 100 ms);
// another process stops serving the old value once it has handled that notification,
// which takes it a few milliseconds unless it is itself stalled longer than the margin.
// When the listener does not confirm within `limit` the function returns false and the
// caller answers anyway (the database write is committed; the next retirement or the TTL
// repairs the cache), logging the failure.
//
// Cancellation: not cancellable; bounded by `limit` + `margin`.
// Thread-safety: fence() may run on any shard's thread; FenceBook is process-wide and
// locked.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "core/recent_set.hpp"
#include "pg/pool.hpp"

namespace shopfloor::pg {

inline constexpr const char* kFenceChannel = "sf_fence";

// The fence tokens this process's listeners have received (the most recent 1024).
class FenceBook {
 public:
  static FenceBook& instance();
  void received(const std::string& token) { tokens_.add(token); }
  bool seen(const std::string& token) const { return tokens_.contains(token); }

 private:
  RecentSet<std::string> tokens_{1024};
};

boost::asio::awaitable<bool> fence(
    Pool& db, std::chrono::milliseconds limit = std::chrono::milliseconds(2000),
    std::chrono::milliseconds margin = std::chrono::milliseconds(100));

}  // namespace shopfloor::pg
