// RecentSet: the most recent `capacity` distinct values added, for "have we seen this
// one lately?" questions asked from any thread (the transactions a process retired
// itself, the write-fence tokens its listener received). Adding beyond the capacity
// forgets the oldest value.
//
// Thread-safety: every member may be called from any thread (one mutex).
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <unordered_set>

namespace shopfloor {

template <class T>
class RecentSet {
 public:
  explicit RecentSet(std::size_t capacity) : capacity_(capacity) {}

  void add(const T& value) {
    std::lock_guard lock(mutex_);
    if (!set_.insert(value).second) return;
    order_.push_back(value);
    if (order_.size() > capacity_) {
      set_.erase(order_.front());
      order_.pop_front();
    }
  }

  bool contains(const T& value) const {
    std::lock_guard lock(mutex_);
    return set_.contains(value);
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<T> order_;
  std::unordered_set<T> set_;
};

}  // namespace shopfloor
