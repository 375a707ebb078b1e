// Write fence through PostgreSQL: when a write could not retire the cache entries it made
// stale (the cache did not answer), it must not be acknowledged while other processes can
// still serve those entries. Every process retires on the write's change notification
// (its ChangeFeedListener) and reads the cache only while its change feed vouches for it
// (change_feed.hpp "Trust"): a heartbeat sent at time s, answered after every
// notification committed before s had been delivered AND handled (retired, or recorded
// in the process's ledger, which stops its lookups), lets it read until s + trust_window.
// So trust_window after the commit, every process either has handled the write's
// notification or reads nothing from the cache — however slow its listener, its
// handlers or the cache are, and without knowing the other processes.
//
// Guarantee reached: a write whose retirement was not delivered answers only after
// `margin` (default trust_window + 50 ms) has passed since this process's own listener
// received a notification sent after the write committed (PostgreSQL delivers
// notifications in commit order), so at least `margin` after the commit. When the
// listener does not confirm within `limit` (or the notification cannot be sent) the
// function waits the margin from then and returns false (logged): the commit is older
// than that, so the guarantee above holds still. The caller answers either way; the
// database write is committed.
//
// Cancellation: not cancellable; bounded by `limit` + `margin`.
// Thread-safety: fence() may run on any shard's thread; FenceBook is process-wide and
// locked.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "core/recent_set.hpp"
#include "pg/change_feed.hpp"
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

inline constexpr std::chrono::milliseconds kFenceMargin =
    ChangeFeedListener::trust_window + std::chrono::milliseconds(50);

boost::asio::awaitable<bool> fence(
    Pool& db, std::chrono::milliseconds limit = std::chrono::milliseconds(2000),
    std::chrono::milliseconds margin = kFenceMargin);

}  // namespace shopfloor::pg
