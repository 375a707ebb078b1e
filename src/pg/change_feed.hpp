// Change feeds: what a module listens to in PostgreSQL, and the one LISTEN connection
// of a process that dispatches notifications to them.
//
// A ChangeFeed is a NOTIFY channel plus two coroutines: on_change runs for each
// notification on that channel (payload as the trigger sent it); on_resync runs after
// every (re)connect of the listening connection — notifications sent while nobody
// listened are lost, so it must retire everything the channel could have told about.
//
// ChangeFeedListener owns a pg::Listener on the feeds' channels (its connection's
// application_name is the pool's plus "-listener", e.g. shopfloor-listener) and spawns each feed's
// coroutine on the listener's executor, in arrival order (they may overlap: each runs
// to its own end). It counts what it delivered and what has finished, so a caller can
// tell when every notification received so far has been handled (settled()), and
// remembers the last payload per channel (a test's barrier NOTIFY). It also listens to
// the write fence's channel (write_fence.hpp) and records what arrives there.
// Trust: the owner's derived state (the cache) may be trusted only while the feed is known
// to have delivered and handled everything committed until shortly before. After each
// heartbeat of the connection (pg/listener.hpp) answered once every resync had finished
// and once every on_change started before its reply has finished (a heartbeat answered
// while some still run vouches when they end), on_trust(sent + trust_window) says until
// when; no call means the trust lapses by itself, so a silently dead connection, or a
// handler stuck on a hung cache, stops the owner trusting within trust_window of the
// last good heartbeat — well inside the contract's 1 s for direct database changes.
// Hence trust_window after a commit, every process has handled its notification or
// reads nothing from its cache (what the write fence relies on, write_fence.hpp).
// While nothing accepts connections at the server's address (it is down: pg/listener.hpp)
// the trust goes on (the contract answers from the cache then); a postmaster that still
// runs and refuses (shutting down, full) vouches for nothing. The moment the server is
// reachable again (on resync) the trust is withdrawn — on_trust(time_point::min()) — until the
// resync is done and a heartbeat vouches again. Metrics (pg/stats.hpp): notifications per channel,
// and the time from a notification's receipt to the end of its feed's on_change (the retirement it
// causes).
//
// Thread-safety: none; create, start, stop and query it on its executor's thread.
// Feeds run there too. stop() closes the connection; coroutines already running finish.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pg/listener.hpp"

namespace shopfloor::pg {

struct ChangeFeed {
  std::string channel;
  std::function<boost::asio::awaitable<void>(std::string payload)> on_change;
  std::function<boost::asio::awaitable<void>()> on_resync;
};

class ChangeFeedListener {
 public:
  struct Counts {
    std::uint64_t notifications = 0;    // delivered to a feed
    std::uint64_t changes_handled = 0;  // on_change coroutines finished
    std::uint64_t resyncs = 0;          // on_resync coroutines started
    std::uint64_t resyncs_handled = 0;  // on_resync coroutines finished
  };

  using TrustHandler = std::function<void(std::chrono::steady_clock::time_point until)>;
  // How long past a heartbeat's sending the owner may trust what the feed told it.
  static constexpr std::chrono::milliseconds trust_window{600};

  ChangeFeedListener(asio::any_io_executor ex, Options opts, std::vector<ChangeFeed> feeds,
                     TrustHandler on_trust = {});
  ~ChangeFeedListener();
  ChangeFeedListener(const ChangeFeedListener&) = delete;
  ChangeFeedListener& operator=(const ChangeFeedListener&) = delete;

  void start();
  void stop();
  bool listening() const noexcept;
  int backend_pid() const noexcept;

  const Counts& counts() const noexcept;
  // Every notification and resync started so far has finished, and at least one resync
  // (the first LISTEN) has run.
  bool settled() const noexcept;
  // The last payload received on `channel` ("" when none yet).
  std::string last_payload(const std::string& channel) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::unique_ptr<Listener> listener_;
};

}  // namespace shopfloor::pg
