// ReadTracker: keeps a cached read from being answered by a lookup that started before
// a retirement this read must observe.
//
// Why: the cache engine joins concurrent misses of one key on one shard into a single
// load ("single flight"). A request that arrives after a write was acknowledged may join
// a load that began before the write committed; that load's result (or a hit it read
// before the retirement) is stale for this request although the engine refuses to store
// it. Read-your-writes forbids serving it.
//
// How: every retirement made by this process (its own writes, change events) bumps one
// process-wide counter, the retirement epoch, after the retirement is done and before
// the write is answered. A read notes the epoch when it starts and registers itself
// under its cache key. If, at that moment, another read of the same key on this shard
// is still in progress from an older epoch, this read may end up joined to it; when it
// then did not run its own loader, it looks the key up once more. The second lookup
// cannot join anything older than this read's start, so it is fresh. Reads of keys
// nobody else is reading, and all reads between writes, pay nothing.
//
// Thread-safety: retirement_epoch() is atomic and process-wide; a ReadTracker belongs to
// one shard (one thread) like the Service that owns it.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

namespace shopfloor::mes {

// The process-wide retirement epoch (see above).
std::atomic<std::uint64_t>& retirement_epoch();

class ReadTracker {
 public:
  // A registered read; unregisters when destroyed. Must not outlive its tracker.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();
    // Whether an older read of the same key was in progress when this one started.
    bool may_join_older() const { return may_join_older_; }

   private:
    friend class ReadTracker;
    Ticket(ReadTracker* tracker, std::string key, std::uint64_t epoch, bool older)
        : tracker_(tracker), key_(std::move(key)), epoch_(epoch), may_join_older_(older) {}
    ReadTracker* tracker_;
    std::string key_;
    std::uint64_t epoch_;
    bool may_join_older_;
  };

  Ticket begin(std::string key, std::uint64_t epoch);

  // Keys with reads in progress (for tests).
  std::size_t active_keys() const { return active_.size(); }

 private:
  void end(const std::string& key, std::uint64_t epoch);

  // key → (start epoch → reads in progress)
  std::unordered_map<std::string, std::map<std::uint64_t, int>> active_;
};

}  // namespace shopfloor::mes
