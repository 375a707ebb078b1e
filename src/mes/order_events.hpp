// OrderEvents: the process-wide hub that turns the orders change feed into the
// Server-Sent Events of GET /events (events_get.cpp).
//
// The app's one LISTEN connection (first shard) hands every sf_orders_changed
// notification to the MES change feed, which calls publish(): this service's own writes
// and other systems' direct database changes alike. Streams live on whichever shard
// accepted them; publish() formats a frame once and queues it on each subscribed
// http::EventStream (thread-safe, bounded: a stream that overflows is dropped and
// forgotten).
//
// What a frame carries — only what an operator may see on the orders list anyway:
//   id: <boot>-<seq>
//   event: orders
//   data: {"orders":["ORD-0000042"],"statuses":["approved","new"]}
// or data {"all":true} for a bulk change, and `event: reset` (resubscribe and reload
// everything) after the listening connection was re-established (events may have been
// lost). Customer names, comments and any other field never travel on the stream: the
// console reloads what it shows through the API, with the user's own token.
//
// Resuming: the last kReplay frames are kept. subscribe(last_event_id) replays the
// frames after that id when it is still among them; otherwise (an id of an older boot,
// unknown, or too old) it sends `event: reset` so the client refreshes in full. The first
// frame of every stream is `event: ready` with the current id.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/event_stream.hpp"
#include "mes/change_set.hpp"

namespace shopfloor::mes {

class OrderEvents {
 public:
  static constexpr std::size_t kReplay = 1024;

  OrderEvents();
  // The one hub of the process (every shard's Service uses it).
  static OrderEvents& instance();

  void publish(const ChangeSet& change);
  // After the change feed (re)connected: every client should reload.
  void publish_reset();

  // Registers `stream` and queues its first frames (ready, or replay / reset).
  void subscribe(const std::shared_ptr<http::EventStream>& stream,
                 std::optional<std::string_view> last_event_id);

  std::size_t subscribers() const;
  // "<boot>-<seq>" of the latest frame ("<boot>-0" before any).
  std::string last_id() const;

  // The data line of a change (pure; exposed for tests).
  static std::string event_data(const ChangeSet& change);

 private:
  struct Frame {
    std::uint64_t seq;
    std::string text;
  };
  void broadcast_locked(std::string_view event, const std::string& data);
  std::string id_locked(std::uint64_t seq) const;

  mutable std::mutex mutex_;
  std::string boot_;  // distinguishes ids of this process from a previous one's
  std::uint64_t seq_ = 0;
  std::deque<Frame> recent_;
  std::vector<std::weak_ptr<http::EventStream>> streams_;
};

}  // namespace shopfloor::mes
