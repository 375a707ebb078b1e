// The one conformance suite every cache Backend must pass (Envoy's
// http_cache_implementation_test_common.h idea). A backend's test file provides a
// BackendHarness factory and instantiates the suite:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, BackendConformance,
//                            ::testing::Values(BackendCase{"memory", make_memory}));
//
// `advance(d)` lets time pass for TTL checks: a manual clock for memory, real sleeping
// for a server backend (the suite keeps TTLs short).
//
// Deadlines: every call the suite makes must complete within its timeout plus a
// scheduling margin. Two cases test it where it matters, with short timeouts:
// the backend's store stops answering (`begin_stall`: the memory backend's simulated
// latency; for Redis, CLIENT PAUSE, so commands sit on an open connection) and
// the store is unreachable (`begin_outage`: the memory backend set unavailable; for
// Redis the server is stopped). Each call must then fail, not hang, within bounds.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cache/backend.hpp"
#include "testing/run.hpp"

namespace shopfloor::cache {

class BackendHarness {
 public:
  virtual ~BackendHarness() = default;
  virtual Backend& backend() = 0;
  virtual boost::asio::io_context& ioc() = 0;
  virtual void advance(std::chrono::milliseconds d) = 0;
  // The store stops answering (calls wait for their deadline) until end_stall(),
  // which returns once it answers again. Must last at least `at_least`.
  virtual void begin_stall(std::chrono::milliseconds at_least) = 0;
  virtual void end_stall() = 0;
  // The store cannot be reached until end_outage(), which returns once the
  // backend is ready again.
  virtual void begin_outage() = 0;
  virtual void end_outage() = 0;
};

struct BackendCase {
  std::string name;
  std::function<std::unique_ptr<BackendHarness>()> make;
};
inline std::ostream& operator<<(std::ostream& os, const BackendCase& c) {
  return os << c.name;
}

class BackendConformance : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    harness_ = GetParam().make();
    ASSERT_TRUE(harness_);
    ns_ = "conf:" + std::to_string(std::random_device{}()) + std::to_string(std::random_device{}());
  }
  Backend& b() { return harness_->backend(); }
  // Runs one backend call made with `timeout` (kTimeout unless said) and checks it
  // completed within that deadline plus kMargin.
  template <class T>
  T run(boost::asio::awaitable<T> aw, milliseconds timeout = kTimeout) {
    const auto start = std::chrono::steady_clock::now();
    T out = testing::run(harness_->ioc(), std::move(aw));
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LE(took, timeout + kMargin)
        << "a backend call outlived its " << timeout.count() << " ms deadline";
    return out;
  }

  // Every Backend operation, each with `timeout`; each must fail (the store is
  // stalled or down) and complete within timeout + kMargin.
  void expect_every_call_fails_in_time(milliseconds timeout) {
    const std::string token = "t";
    auto fetched = run(b().fetch(ns_, 0, "k", timeout), timeout);
    EXPECT_FALSE(fetched) << "fetch";
    auto leased = run(b().acquire_lease(ns_, 0, "k", token, milliseconds(2000), timeout), timeout);
    EXPECT_FALSE(leased) << "acquire_lease";
    auto stored = run(b().store(ns_, 0, "k", token, "v", milliseconds(10000), timeout), timeout);
    EXPECT_FALSE(stored) << "store";
    auto released = run(b().release_lease(ns_, 0, "k", token, timeout), timeout);
    EXPECT_FALSE(released) << "release_lease";
    auto retired = run(b().retire_namespace(ns_, timeout), timeout);
    EXPECT_FALSE(retired) << "retire_namespace";
    auto key_retired = run(b().retire_key(ns_, "k", timeout), timeout);
    EXPECT_FALSE(key_retired) << "retire_key";
    auto tagged =
        run(b().store_tagged(ns_, 0, "k", token, "v", milliseconds(10000), 0, {"a", "b"}, timeout),
            timeout);
    EXPECT_FALSE(tagged) << "store_tagged";
    auto tags_retired = run(b().retire_tags(ns_, {"a"}, timeout), timeout);
    EXPECT_FALSE(tags_retired) << "retire_tags";
  }

  // Stores `value` under key with `tags` at generation 0, as a loader would (fetch for
  // the tag sequence, lease, store).
  bool store_tagged(const std::string& key, const std::string& value,
                    const std::vector<std::string>& tags) {
    auto f = run(b().fetch(ns_, 0, key, kTimeout));
    if (!f) return false;
    auto lease = run(b().acquire_lease(ns_, 0, key, "t", milliseconds(2000), kTimeout));
    if (!lease || !*lease) return false;
    auto stored = run(b().store_tagged(ns_, 0, key, "t", value, milliseconds(10000),
                                       f->tag_sequence, tags, kTimeout));
    return stored && *stored;
  }

  static constexpr milliseconds kTimeout{1000};
  // Scheduling slack on a loaded 2-core CI machine under ASan: generous, yet far
  // below what a call that ignored its deadline would take in the cases below.
  static constexpr milliseconds kMargin{500};
  std::unique_ptr<BackendHarness> harness_;
  std::string ns_;
};

TEST_P(BackendConformance, NewNamespaceIsGenerationZeroAndEmpty) {
  auto f = run(b().fetch(ns_, 0, "k", kTimeout));
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->generation, 0u);
  EXPECT_FALSE(f->value);
}

TEST_P(BackendConformance, LeaseStoreThenHit) {
  auto lease = run(b().acquire_lease(ns_, 0, "k", "t1", milliseconds(2000), kTimeout));
  ASSERT_TRUE(lease && *lease);
  auto stored = run(b().store(ns_, 0, "k", "t1", "value-1", milliseconds(10000), kTimeout));
  ASSERT_TRUE(stored && *stored);
  auto f = run(b().fetch(ns_, 0, "k", kTimeout));
  ASSERT_TRUE(f && f->value);
  EXPECT_EQ(*f->value, "value-1");
}

TEST_P(BackendConformance, OnlyOneLeaseAtATimeAndStoreNeedsIt) {
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, "k", "t1", milliseconds(2000), kTimeout)));
  EXPECT_FALSE(*run(b().acquire_lease(ns_, 0, "k", "t2", milliseconds(2000), kTimeout)));
  EXPECT_FALSE(*run(b().store(ns_, 0, "k", "t2", "theirs", milliseconds(10000), kTimeout)));
  EXPECT_FALSE(*run(b().store(ns_, 0, "other", "t1", "no lease", milliseconds(10000), kTimeout)));
  EXPECT_TRUE(*run(b().store(ns_, 0, "k", "t1", "mine", milliseconds(10000), kTimeout)));
  // The store released the lease: the next loader can take one.
  EXPECT_TRUE(*run(b().acquire_lease(ns_, 0, "k", "t3", milliseconds(2000), kTimeout)));
}

TEST_P(BackendConformance, ReleasedLeaseCanBeTakenAgain) {
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, "k", "t1", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(run(b().release_lease(ns_, 0, "k", "wrong", kTimeout)));
  EXPECT_FALSE(*run(b().acquire_lease(ns_, 0, "k", "t2", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(run(b().release_lease(ns_, 0, "k", "t1", kTimeout)));
  EXPECT_TRUE(*run(b().acquire_lease(ns_, 0, "k", "t2", milliseconds(2000), kTimeout)));
}

TEST_P(BackendConformance, RetireNamespaceBumpsGenerationAndHidesEveryKey) {
  for (const char* k : {"a", "b"}) {
    ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, k, "t", milliseconds(2000), kTimeout)));
    ASSERT_TRUE(*run(b().store(ns_, 0, k, "t", "old", milliseconds(10000), kTimeout)));
  }
  auto g = run(b().retire_namespace(ns_, kTimeout));
  ASSERT_TRUE(g);
  EXPECT_EQ(*g, 1u);
  for (const char* k : {"a", "b"}) {
    auto at_old = run(b().fetch(ns_, 0, k, kTimeout));
    ASSERT_TRUE(at_old);
    EXPECT_EQ(at_old->generation, 1u);
    EXPECT_FALSE(at_old->value) << "a retired generation must not answer";
    EXPECT_FALSE(run(b().fetch(ns_, 1, k, kTimeout))->value);
  }
  EXPECT_EQ(*run(b().retire_namespace(ns_, kTimeout)), 2u);
}

TEST_P(BackendConformance, StoreAfterRetirementIsRefused) {
  // The stale-set race: lease taken at generation 0, the namespace retired while the
  // loader runs, then the loader's (stale) value arrives.
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, "k", "t", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(run(b().retire_namespace(ns_, kTimeout)));
  EXPECT_FALSE(*run(b().store(ns_, 0, "k", "t", "stale", milliseconds(10000), kTimeout)));
  EXPECT_FALSE(run(b().fetch(ns_, 1, "k", kTimeout))->value);
  EXPECT_FALSE(run(b().fetch(ns_, 0, "k", kTimeout))->value);
}

TEST_P(BackendConformance, RetireKeyRemovesValueAndVoidsLease) {
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, "k", "t", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(*run(b().store(ns_, 0, "k", "t", "v", milliseconds(10000), kTimeout)));
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, "other", "t", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(run(b().retire_key(ns_, "k", kTimeout)));
  ASSERT_TRUE(run(b().retire_key(ns_, "other", kTimeout)));
  EXPECT_FALSE(run(b().fetch(ns_, 0, "k", kTimeout))->value);
  // The holder of the voided lease cannot store its (now stale) value.
  EXPECT_FALSE(*run(b().store(ns_, 0, "other", "t", "stale", milliseconds(10000), kTimeout)));
  EXPECT_FALSE(run(b().fetch(ns_, 0, "other", kTimeout))->value);
}

TEST_P(BackendConformance, RetireKeyAfterGenerationMovedHitsTheCurrentGeneration) {
  ASSERT_TRUE(run(b().retire_namespace(ns_, kTimeout)));
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 1, "k", "t", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(*run(b().store(ns_, 1, "k", "t", "v", milliseconds(10000), kTimeout)));
  ASSERT_TRUE(run(b().retire_key(ns_, "k", kTimeout)));
  EXPECT_FALSE(run(b().fetch(ns_, 1, "k", kTimeout))->value);
}

TEST_P(BackendConformance, RetireTagsRemovesTheValuesStoredWithAnyOfThemAndNothingElse) {
  ASSERT_TRUE(store_tagged("page1", "v1", {"ord-1", "ord-2"}));
  ASSERT_TRUE(store_tagged("page2", "v2", {"ord-2", "ord-3"}));
  ASSERT_TRUE(store_tagged("page3", "v3", {"ord-4"}));
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, "plain", "t", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(*run(b().store(ns_, 0, "plain", "t", "v4", milliseconds(10000), kTimeout)));
  const auto before = run(b().fetch(ns_, 0, "page1", kTimeout));
  ASSERT_TRUE(before && before->value);

  ASSERT_TRUE(run(b().retire_tags(ns_, {"ord-2", "ord-9"}, kTimeout)));
  EXPECT_FALSE(run(b().fetch(ns_, 0, "page1", kTimeout))->value);
  EXPECT_FALSE(run(b().fetch(ns_, 0, "page2", kTimeout))->value);
  EXPECT_EQ(run(b().fetch(ns_, 0, "page3", kTimeout))->value, std::optional<std::string>("v3"));
  EXPECT_EQ(run(b().fetch(ns_, 0, "plain", kTimeout))->value, std::optional<std::string>("v4"));
  const auto after = run(b().fetch(ns_, 0, "page3", kTimeout));
  EXPECT_GT(after->tag_sequence, before->tag_sequence);
  EXPECT_EQ(after->generation, 0u) << "a tag retirement is not a namespace retirement";
  // The same page stored again (its load began after the retirement) is found again.
  ASSERT_TRUE(store_tagged("page1", "v1b", {"ord-1", "ord-2"}));
  EXPECT_EQ(run(b().fetch(ns_, 0, "page1", kTimeout))->value, std::optional<std::string>("v1b"));
}

TEST_P(BackendConformance, TaggedStoreAfterAnyTagRetirementIsRefused) {
  // The stale-set race for tags: the loader cannot know its value's tags before it has
  // read them, so any tag retirement in the namespace since its fetch refuses the store.
  auto f = run(b().fetch(ns_, 0, "page", kTimeout));
  ASSERT_TRUE(f);
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, "page", "t", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(run(b().retire_tags(ns_, {"unrelated"}, kTimeout)));
  EXPECT_FALSE(*run(b().store_tagged(ns_, 0, "page", "t", "stale", milliseconds(10000),
                                     f->tag_sequence, {"ord-1"}, kTimeout)));
  EXPECT_FALSE(run(b().fetch(ns_, 0, "page", kTimeout))->value);
  // The refused store gave its lease back: the next loader of the key need not wait for
  // it to expire (the generation did not move, so it is the same lease).
  EXPECT_TRUE(*run(b().acquire_lease(ns_, 0, "page", "t2", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(run(b().release_lease(ns_, 0, "page", "t2", kTimeout)));
  // Other namespaces' tag retirements do not matter.
  ASSERT_TRUE(store_tagged("page", "fresh", {"ord-1"}));
  ASSERT_TRUE(run(b().retire_tags(ns_ + ":other", {"ord-1"}, kTimeout)));
  EXPECT_EQ(run(b().fetch(ns_, 0, "page", kTimeout))->value, std::optional<std::string>("fresh"));
}

TEST_P(BackendConformance, ValuesAndLeasesExpire) {
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, "k", "t", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(*run(b().store(ns_, 0, "k", "t", "v", milliseconds(150), kTimeout)));
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, "l", "t", milliseconds(150), kTimeout)));
  EXPECT_TRUE(run(b().fetch(ns_, 0, "k", kTimeout))->value);
  harness_->advance(milliseconds(400));
  EXPECT_FALSE(run(b().fetch(ns_, 0, "k", kTimeout))->value);
  EXPECT_TRUE(*run(b().acquire_lease(ns_, 0, "l", "t2", milliseconds(2000), kTimeout)));
}

TEST_P(BackendConformance, ValuesAreBinarySafeAndMayBeLarge) {
  std::string value("a\0b\r\n$3\r\n", 9);
  value += std::string(200 * 1024, 'x');
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, "k", "t", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(*run(b().store(ns_, 0, "k", "t", value, milliseconds(10000), kTimeout)));
  auto f = run(b().fetch(ns_, 0, "k", kTimeout));
  ASSERT_TRUE(f && f->value);
  EXPECT_EQ(*f->value, value);
}

TEST_P(BackendConformance, NamespacesAreIndependent) {
  const std::string other = ns_ + ":other";
  ASSERT_TRUE(*run(b().acquire_lease(other, 0, "k", "t", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(*run(b().store(other, 0, "k", "t", "v", milliseconds(10000), kTimeout)));
  ASSERT_TRUE(run(b().retire_namespace(ns_, kTimeout)));
  auto f = run(b().fetch(other, 0, "k", kTimeout));
  ASSERT_TRUE(f && f->value);
  EXPECT_EQ(f->generation, 0u);
}

TEST_P(BackendConformance, EveryCallHonoursItsDeadlineWhenTheStoreStopsAnswering) {
  // A value to find again afterwards: the stall must not lose or corrupt state.
  ASSERT_TRUE(*run(b().acquire_lease(ns_, 0, "kept", "t", milliseconds(2000), kTimeout)));
  ASSERT_TRUE(*run(b().store(ns_, 0, "kept", "t", "v", milliseconds(60000), kTimeout)));
  // Eight calls of 100 ms each plus margins fit well inside the stall.
  harness_->begin_stall(milliseconds(2000));
  expect_every_call_fails_in_time(milliseconds(100));
  harness_->end_stall();
  auto f = run(b().fetch(ns_, 0, "kept", kTimeout));
  ASSERT_TRUE(f) << f.error().message();
  // retire_namespace may have reached the store after its caller gave up: it is not
  // undone by the deadline, so the generation is 0 or 1 — never anything else.
  EXPECT_LE(f->generation, 1u);
  if (f->generation == 0) {
    EXPECT_EQ(f->value, std::optional<std::string>("v"));
  }
}

TEST_P(BackendConformance, EveryCallFailsInTimeWhileTheStoreIsUnreachable) {
  harness_->begin_outage();
  expect_every_call_fails_in_time(milliseconds(200));
  harness_->end_outage();
  auto f = run(b().fetch(ns_, 0, "k", kTimeout));
  ASSERT_TRUE(f) << "the backend did not recover: " << f.error().message();
}

}  // namespace shopfloor::cache
