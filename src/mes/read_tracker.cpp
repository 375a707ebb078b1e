#include "mes/read_tracker.hpp"

#include <utility>

namespace shopfloor::mes {

std::atomic<std::uint64_t>& retirement_epoch() {
  static std::atomic<std::uint64_t> epoch{0};
  return epoch;
}

ReadTracker::Ticket::Ticket(Ticket&& other) noexcept
    : tracker_(std::exchange(other.tracker_, nullptr)),
      key_(std::move(other.key_)),
      epoch_(other.epoch_),
      may_join_older_(other.may_join_older_) {}

ReadTracker::Ticket::~Ticket() {
  if (tracker_) tracker_->end(key_, epoch_);
}

ReadTracker::Ticket ReadTracker::begin(std::string key, std::uint64_t epoch) {
  auto& reads = active_[key];
  const bool older = !reads.empty() && reads.begin()->first < epoch;
  ++reads[epoch];
  return Ticket(this, std::move(key), epoch, older);
}

void ReadTracker::end(const std::string& key, std::uint64_t epoch) {
  auto it = active_.find(key);
  if (it == active_.end()) return;
  auto e = it->second.find(epoch);
  if (e != it->second.end() && --e->second == 0) it->second.erase(e);
  if (it->second.empty()) active_.erase(it);
}

}  // namespace shopfloor::mes
