#include "pg/change_feed.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <chrono>
#include <deque>
#include <optional>
#include <set>

#include "pg/stats.hpp"
#include "pg/write_fence.hpp"

namespace shopfloor::pg {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

struct ChangeFeedListener::State {
  struct ChannelStats {
    metrics::Counter* notifications;
    metrics::Histogram* handling_seconds;
    metrics::Counter* handler_failures;
  };
  std::vector<ChangeFeed> feeds;
  Counts counts;
  TrustHandler on_trust;
  // Trust waits for the handlers: a heartbeat vouches for the notifications delivered
  // before its reply only once their on_change coroutines have finished (retired what
  // they name, or sent it to the ledger). `running` holds the sequence numbers of the
  // on_change coroutines still running; a heartbeat answered while some ran is kept in
  // `pending` with the last sequence number started then, and takes effect when every
  // coroutine up to that number has finished.
  std::uint64_t started = 0;
  std::set<std::uint64_t> running;
  struct Pending {
    Clock::time_point until;
    std::uint64_t barrier;
  };
  std::deque<Pending> pending;

  bool resynced() const { return counts.resyncs > 0 && counts.resyncs_handled == counts.resyncs; }
  void vouch(Clock::time_point sent) {
    if (!on_trust || !resynced()) return;
    if (running.empty()) {
      on_trust(sent + trust_window);
      return;
    }
    pending.push_back({sent + trust_window, started});
    if (pending.size() > 16) pending.pop_front();  // the newest ones vouch for the most
  }
  void release_pending() {
    const std::uint64_t oldest = running.empty() ? started + 1 : *running.begin();
    std::optional<Clock::time_point> until;
    while (!pending.empty() && pending.front().barrier < oldest) {
      until = pending.front().until;
      pending.pop_front();
    }
    if (until && on_trust && resynced()) on_trust(*until);
  }
  // A reconnect withdraws the trust: what an older heartbeat vouched for no longer holds.
  void withdraw() {
    pending.clear();
    if (on_trust) on_trust(Clock::time_point::min());
  }
  std::map<std::string, std::string, std::less<>> last_payload;
  std::map<std::string, ChannelStats, std::less<>> stats;  // every channel listened to
};

namespace {

// Logs a feed coroutine's exception; true when there was one.
bool log_failure(const char* what, const std::string& channel, std::exception_ptr e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("change feed {}: {} failed: {}", channel, what, ex.what());
  } catch (...) {
    spdlog::error("change feed {}: {} failed", channel, what);
  }
  return true;
}

}  // namespace

ChangeFeedListener::ChangeFeedListener(asio::any_io_executor ex, Options opts,
                                       std::vector<ChangeFeed> feeds, TrustHandler on_trust)
    : state_(std::make_shared<State>()) {
  state_->feeds = std::move(feeds);
  state_->on_trust = std::move(on_trust);
  // The write fence's channel (write_fence.hpp) is always listened to.
  std::vector<std::string> channels{kFenceChannel};
  for (const auto& f : state_->feeds) {
    if (std::find(channels.begin(), channels.end(), f.channel) == channels.end())
      channels.push_back(f.channel);
  }
  for (const auto& channel : channels) {
    state_->stats.emplace(channel, State::ChannelStats{&ListenerStats::notifications(channel),
                                                       &ListenerStats::handling_seconds(channel),
                                                       &ListenerStats::handler_failures(channel)});
  }
  // The callbacks hold the state, not `this`: a coroutine may finish after the
  // ChangeFeedListener is gone (stop() does not wait for running feeds).
  auto state = state_;
  // Its own name in pg_stat_activity: operators (and the fault tests) tell the change
  // feed's connection from the pool's.
  opts.application_name += "-listener";
  listener_ = std::make_unique<Listener>(
      ex, std::move(opts), std::move(channels),
      [state, ex](std::string_view channel, std::string_view payload) {
        state->last_payload[std::string(channel)] = std::string(payload);
        auto stats = state->stats.find(channel);
        if (stats != state->stats.end()) stats->second.notifications->inc();
        if (channel == kFenceChannel) FenceBook::instance().received(std::string(payload));
        const auto received = Clock::now();
        for (auto& feed : state->feeds) {
          if (feed.channel != channel) continue;
          ++state->counts.notifications;
          const std::uint64_t seq = ++state->started;
          state->running.insert(seq);
          asio::co_spawn(ex, feed.on_change(std::string(payload)),
                         [state, channel = feed.channel, received, seq](std::exception_ptr e) {
                           const bool failed = log_failure("on_change", channel, e);
                           ++state->counts.changes_handled;
                           state->running.erase(seq);
                           state->release_pending();
                           auto it = state->stats.find(channel);
                           if (it == state->stats.end()) return;
                           it->second.handling_seconds->observe(
                               std::chrono::duration<double>(Clock::now() - received).count());
                           if (failed) it->second.handler_failures->inc();
                         });
        }
      },
      [state, ex] {
        // Reachable again: whatever was trusted while the server refused connections is
        // trusted no more until the resync has retired what may have been missed.
        state->withdraw();
        spdlog::info(
            "change feeds: (re)listening; retiring what notifications may have been missed");
        for (auto& feed : state->feeds) {
          ++state->counts.resyncs;
          asio::co_spawn(ex, feed.on_resync(),
                         [state, channel = feed.channel](std::exception_ptr e) {
                           if (log_failure("on_resync", channel, e)) {
                             auto it = state->stats.find(channel);
                             if (it != state->stats.end()) it->second.handler_failures->inc();
                           }
                           ++state->counts.resyncs_handled;
                         });
        }
      },
      [state](Clock::time_point sent) {
        // Nothing is vouched for before the first resync, nor while a resync is still
        // retiring what notifications may have been missed before a reconnect, nor
        // before the notifications delivered so far have been handled.
        state->vouch(sent);
      });
}

ChangeFeedListener::~ChangeFeedListener() = default;

void ChangeFeedListener::start() {
  listener_->start();
}
void ChangeFeedListener::stop() {
  listener_->stop();
}
bool ChangeFeedListener::listening() const noexcept {
  return listener_->listening();
}
int ChangeFeedListener::backend_pid() const noexcept {
  return listener_->backend_pid();
}
const ChangeFeedListener::Counts& ChangeFeedListener::counts() const noexcept {
  return state_->counts;
}

bool ChangeFeedListener::settled() const noexcept {
  const Counts& c = state_->counts;
  return c.resyncs > 0 && c.resyncs_handled == c.resyncs && c.changes_handled == c.notifications;
}

std::string ChangeFeedListener::last_payload(const std::string& channel) const {
  auto it = state_->last_payload.find(channel);
  return it == state_->last_payload.end() ? std::string() : it->second;
}

}  // namespace shopfloor::pg
