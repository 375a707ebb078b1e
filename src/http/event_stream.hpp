// EventStream: the body of a streaming answer (Server-Sent Events), Beast-free.
//
// A handler that wants to stream creates an EventStream on its own executor and hands it
// back in Response::stream. The server then writes the status line and headers (no
// Content-Length, `Connection: close`: the body ends when the connection does), and
// after that every frame the stream yields, as it comes, until the stream is closed, the
// client goes away, or the server shuts down.
//
// Producers (any thread) call send() with complete SSE frames ("id: …\ndata: …\n\n").
// Memory per stream is bounded: at most max_queued_bytes wait to be written; a send()
// that would exceed it closes the stream instead (reason `overflow`): a consumer too
// slow to keep up is dropped, never buffered without limit. Its client reconnects and
// catches up (Last-Event-ID, or a full refresh).
//
// The consumer side (next()) is the server's: it runs on the stream's executor only and
// returns everything queued as one string, a heartbeat comment after heartbeat_interval
// of silence (so dead peers and idle proxies are noticed), or nothing once closed.
//
// Thread-safety: send(), close(), closed() and reason() may be called from any thread;
// next() only from the stream's executor, by one coroutine at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace shopfloor::http {

struct EventStreamOptions {
  // Bytes that may wait for a slow client before it is dropped.
  // Default: 64 KiB.
  std::size_t max_queued_bytes = 64 * 1024;
  // A comment line (": keep-alive") is written after this much silence.
  // Default: 15000 ms.
  std::chrono::milliseconds heartbeat_interval{15000};
};

class EventStream : public std::enable_shared_from_this<EventStream> {
 public:
  enum class Reason { open, closed, overflow, shutdown };

  EventStream(boost::asio::any_io_executor ex, EventStreamOptions opts = {});
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Queues one frame. Returns false when the stream is (now) closed; a frame that does
  // not fit closes it with Reason::overflow.
  bool send(std::string frame);
  // Ends the stream after what is queued has been written (a no-op once closed).
  void close(Reason why = Reason::closed);
  bool closed() const;
  Reason reason() const;
  std::size_t queued_bytes() const;

  // Server side (see top of file). Never throws; cancellation counts as closed.
  boost::asio::awaitable<std::optional<std::string>> next();

 private:
  void wake();

  boost::asio::any_io_executor ex_;
  const EventStreamOptions opts_;
  boost::asio::steady_timer timer_;  // touched on ex_ only
  mutable std::mutex mutex_;
  std::string queue_;  // frames not yet taken by next(), concatenated
  Reason reason_ = Reason::open;
  bool wake_posted_ = false;
};

std::string_view to_string(EventStream::Reason r);

}  // namespace shopfloor::http
