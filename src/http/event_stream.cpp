// EventStream: bounded queue between producers on any thread and the server's writer.
#include "http/event_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shopfloor::http {

namespace asio = boost::asio;

EventStream::EventStream(asio::any_io_executor ex, EventStreamOptions opts)
    : ex_(std::move(ex)), opts_(opts), timer_(ex_) {}

bool EventStream::send(std::string frame) {
  {
    std::lock_guard lock(mutex_);
    if (reason_ != Reason::open) return false;
    if (queue_.size() + frame.size() > opts_.max_queued_bytes) {
      // Drop the slow consumer: what is queued goes too, its client must resync anyway.
      reason_ = Reason::overflow;
      queue_.clear();
      queue_.shrink_to_fit();
    } else {
      queue_ += frame;
    }
  }
  wake();
  return !closed();
}

void EventStream::close(Reason why) {
  {
    std::lock_guard lock(mutex_);
    if (reason_ != Reason::open) return;
    reason_ = why == Reason::open ? Reason::closed : why;
  }
  wake();
}

bool EventStream::closed() const {
  std::lock_guard lock(mutex_);
  return reason_ != Reason::open;
}

EventStream::Reason EventStream::reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

std::size_t EventStream::queued_bytes() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

// The timer may only be touched on ex_: post the cancel there, at most one in flight
// (a burst of sends costs one post).
void EventStream::wake() {
  {
    std::lock_guard lock(mutex_);
    if (wake_posted_) return;
    wake_posted_ = true;
  }
  asio::post(ex_, [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    {
      std::lock_guard lock(self->mutex_);
      self->wake_posted_ = false;
    }
    self->timer_.cancel();
  });
}

asio::awaitable<std::optional<std::string>> EventStream::next() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (!queue_.empty()) {
        std::string out;
        out.swap(queue_);
        co_return out;
      }
      if (reason_ != Reason::open) co_return std::nullopt;
    }
    // No other code runs on ex_ between the check above and this wait, so a wake posted
    // by a send after the check cancels this very wait.
    timer_.expires_after(opts_.heartbeat_interval);
    auto [ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!ec) co_return std::string(": keep-alive\n\n");
    auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
      close(Reason::shutdown);
      co_return std::nullopt;
    }
  }
}

std::string_view to_string(EventStream::Reason r) {
  switch (r) {
    case EventStream::Reason::open:
      return "open";
    case EventStream::Reason::closed:
      return "closed";
    case EventStream::Reason::overflow:
      return "overflow";
    case EventStream::Reason::shutdown:
      return "shutdown";
  }
  return "closed";
}

}  // namespace shopfloor::http
