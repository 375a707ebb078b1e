// OrderEvents: formatting, replay window and fan-out of the order change events.
#include "mes/order_events.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <set>

#include "mes/order_input.hpp"

namespace shopfloor::mes {

OrderEvents::OrderEvents() {
  // Milliseconds since the epoch at start-up: a resumed id from before a restart is
  // recognisably not ours.
  boot_ = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
}

OrderEvents& OrderEvents::instance() {
  static OrderEvents hub;
  return hub;
}

std::string OrderEvents::event_data(const ChangeSet& change) {
  boost::json::object o;
  if (change.all) {
    o["all"] = true;
    return boost::json::serialize(o);
  }
  boost::json::array orders;
  for (long long id : std::set<long long>(change.order_ids.begin(), change.order_ids.end()))
    orders.emplace_back(format_order_number(id));
  boost::json::array statuses;
  std::set<std::string_view> seen;
  for (Status s : change.statuses)
    if (seen.insert(to_string(s)).second) statuses.emplace_back(to_string(s));
  o["orders"] = std::move(orders);
  o["statuses"] = std::move(statuses);
  return boost::json::serialize(o);
}

std::string OrderEvents::id_locked(std::uint64_t seq) const {
  return boot_ + "-" + std::to_string(seq);
}

void OrderEvents::broadcast_locked(std::string_view event, const std::string& data) {
  const std::uint64_t seq = ++seq_;
  std::string text =
      "id: " + id_locked(seq) + "\nevent: " + std::string(event) + "\ndata: " + data + "\n\n";
  streams_.erase(std::remove_if(streams_.begin(), streams_.end(),
                                [&](const std::weak_ptr<http::EventStream>& w) {
                                  auto s = w.lock();
                                  return !s || !s->send(text);
                                }),
                 streams_.end());
  recent_.push_back(Frame{seq, std::move(text)});
  if (recent_.size() > kReplay) recent_.pop_front();
}

void OrderEvents::publish(const ChangeSet& change) {
  const std::string data = event_data(change);
  std::lock_guard lock(mutex_);
  broadcast_locked("orders", data);
}

void OrderEvents::publish_reset() {
  std::lock_guard lock(mutex_);
  broadcast_locked("reset", R"({"reason":"resync"})");
}

void OrderEvents::subscribe(const std::shared_ptr<http::EventStream>& stream,
                            std::optional<std::string_view> last_event_id) {
  std::lock_guard lock(mutex_);
  // Ask browsers to retry after 2 s (the console's own client reconnects itself).
  std::string first = "retry: 2000\n";
  bool replay = false;
  std::uint64_t after = 0;
  if (last_event_id) {
    const std::string prefix = boot_ + "-";
    if (last_event_id->starts_with(prefix)) {
      const std::string_view n = last_event_id->substr(prefix.size());
      std::uint64_t v = 0;
      bool ok = !n.empty() && n.size() < 20;
      for (char c : n) {
        if (c < '0' || c > '9')
          ok = false;
        else
          v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      // Resumable when nothing after it has left the window.
      const std::uint64_t oldest = recent_.empty() ? seq_ + 1 : recent_.front().seq;
      if (ok && v <= seq_ && v + 1 >= oldest) {
        replay = true;
        after = v;
      }
    }
  }
  if (last_event_id && !replay) {
    first += "id: " + id_locked(seq_) + "\nevent: reset\ndata: {\"reason\":\"gap\"}\n\n";
  } else {
    first += "id: " + id_locked(replay ? after : seq_) + "\nevent: ready\ndata: {}\n\n";
  }
  if (!stream->send(std::move(first))) return;
  if (replay) {
    for (const Frame& f : recent_) {
      if (f.seq > after && !stream->send(f.text)) return;
    }
  }
  streams_.push_back(stream);
}

std::size_t OrderEvents::subscribers() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& w : streams_) {
    if (auto s = w.lock(); s && !s->closed()) ++n;
  }
  return n;
}

std::string OrderEvents::last_id() const {
  std::lock_guard lock(mutex_);
  return id_locked(seq_);
}

}  // namespace shopfloor::mes
