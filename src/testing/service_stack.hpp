// ServiceStack: the app's own shard (app::Shard, app/shard.hpp) running in the test
// process on the real PostgreSQL and Redis (TLS, ACL) of scripts/devenv.sh, with the
// app's one LISTEN dispatcher (pg::ChangeFeedListener) on the shard's change feeds, on
// a background thread — so a test talks plain blocking HTTP to MES, Pricing and Shop
// (testing/http_client.hpp) and what it tests is the executable's wiring, not a copy.
//
// Configuration: app::load_config_from_environment() (.run/env.sh; any SHOPFLOOR_*
// setting, e.g. SHOPFLOOR_CACHE_ENABLED=false, applies as it does to `shopfloor serve`)
// with test overrides: every listener on port 0 (a free one; port(service) tells which)
// without SO_REUSEPORT, a cache prefix of its own (sf:test:<id>:), and a cache
// op_timeout of 250 ms, because a sanitizer build on a busy 2-core machine must not turn
// a healthy Redis into BYPASS answers. `adjust` may change more before the shard is
// built. Everything else is the app's default.
//
// Readiness: the constructor returns once Redis is connected (when the cache is
// enabled), and only then starts the change-feed listener and waits until it listens
// and its first resync has finished and a heartbeat vouched for the cache (until then
// lookups bypass it: pg/change_feed.hpp "Trust"): the first resync's retirements, made
// while Redis is still connecting, would be deferred to the ledger and turn the first
// lookups into BYPASS (correct, but noise for tests that count HIT and MISS). It throws, naming
// what is missing or late (settings, servers); a fixture turns that into GTEST_FAIL.
//
// Thread-safety: test-only. Every object of the shard lives on the stack's io thread;
// the test thread reaches them only through on_io(), run_io(), wait_for() and sql(),
// which post and wait (bounded). request(), settle_notifications() and partner_token()
// may be called from any test thread. The destructor drains and joins.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/config.hpp"
#include "app/shard.hpp"
#include "pg/change_feed.hpp"
#include "pg/params.hpp"
#include "pg/rows.hpp"
#include "testing/http_client.hpp"
#include "testing/run.hpp"

namespace shopfloor::testing {

class ServiceStack {
 public:
  explicit ServiceStack(const std::function<void(app::Config&)>& adjust = {});
  ~ServiceStack();
  ServiceStack(const ServiceStack&) = delete;
  ServiceStack& operator=(const ServiceStack&) = delete;

  // Graceful: the listeners drain, the change-feed listener, Redis and the pool close
  // on the io thread (bounded), then the thread ends. Idempotent.
  void stop();

  const std::string& id() const { return id_; }  // unique per stack: name test rows by it
  const std::string& cache_prefix() const { return config_.cache_prefix; }
  const app::Config& config() const { return config_; }
  // The admin bearer token the shard accepts (SHOPFLOOR_ADMIN_TOKEN[_FILE], or a random
  // one when the environment has none).
  const std::string& admin_token() const { return config_.admin_token; }
  // The bound port of "mes", "pricing" or "shop".
  int port(std::string_view service) const;

  // One HTTP request to a service on its own connection. `token`: nullopt sends the
  // admin token, "" none, anything else as the bearer. Throws when it cannot connect.
  HttpAnswer request(std::string_view service, const std::string& method, const std::string& target,
                     const std::string& body = "",
                     const std::optional<std::string>& token = std::nullopt,
                     std::string extra_headers = "");

  // request() and port() bound to one service.
  class Api {
   public:
    Api(ServiceStack& stack, std::string service) : stack_(&stack), service_(std::move(service)) {}
    HttpAnswer request(const std::string& method, const std::string& target,
                       const std::string& body = "",
                       const std::optional<std::string>& token = std::nullopt,
                       std::string extra_headers = "") const {
      return stack_->request(service_, method, target, body, token, std::move(extra_headers));
    }
    int port() const { return stack_->port(service_); }

   private:
    ServiceStack* stack_;
    std::string service_;
  };
  Api api(std::string service) { return Api(*this, std::move(service)); }

  // The shard and its change-feed listener: touch them on the io thread only (inside
  // on_io, run_io, or a wait_for predicate).
  app::Shard& shard() { return *shard_; }
  redis::Client& redis() { return shard_->redis; }
  pg::ChangeFeedListener& listener() { return *listener_; }
  // On the io thread: the listener listens, has handled every notification and resync
  // it received, and a heartbeat since vouches for the cache (lookups read it again).
  bool feed_settled();

  // Runs f on the io thread and returns its value (bounded wait).
  template <class F>
  auto on_io(F f) -> decltype(f()) {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
    auto result = task->get_future();
    boost::asio::post(shard_->ioc, [task] { (*task)(); });
    return wait_for_future(result, kIoLimit, "a call on the stack's io thread");
  }

  // Runs a coroutine on the io thread to completion and returns its value (bounded).
  template <class T>
  T run_io(boost::asio::awaitable<T> a) {
    auto f = spawn_future(shard_->ioc, std::move(a));
    return wait_for_future(f, kIoLimit, "a coroutine on the stack's io thread");
  }

  // Polls `done` on the io thread until it holds; false if `limit` passed first.
  bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds limit);

  // Waits until every notification sent before this call has been handled by the
  // change feeds: a barrier NOTIFY of our own goes to every feed channel last
  // (notifications arrive in commit order), then this waits until each channel's last
  // payload is the barrier and the listener has settled. So retirements caused by a
  // test's own setup cannot land in the middle of what it checks. The barrier is an
  // empty JSON object to the feeds ({"marker":"<random>"}): MES retires its unfiltered
  // lists and the dashboard, Pricing and Shop their namespaces, as any change would.
  void settle_notifications(std::chrono::milliseconds limit = std::chrono::seconds(10));

  // Runs one statement on the shard's pool; throws with the server's message on error.
  pg::Rows sql(const std::string& statement, pg::Params params = {});

  // A partner token stored the way POST /tokens stores it (hash only); the returned
  // guard deletes it.
  struct PartnerToken {
    ServiceStack* stack;
    std::string name, secret;
    ~PartnerToken();
  };
  std::unique_ptr<PartnerToken> partner_token();

 private:
  static constexpr std::chrono::milliseconds kIoLimit{30'000};

  std::string id_;
  app::Config config_;
  app::HealthState health_;
  std::unique_ptr<app::Shard> shard_;
  std::vector<std::string> channels_;  // every feed channel, once
  std::unique_ptr<pg::ChangeFeedListener> listener_;
  std::thread thread_;
};

}  // namespace shopfloor::testing
