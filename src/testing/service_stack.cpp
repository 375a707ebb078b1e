#include "testing/service_stack.hpp"

#include <algorithm>

#include "auth/authenticator.hpp"
#include "cache/ledger.hpp"
#include "pg/error.hpp"
#include "testing/settings.hpp"

namespace shopfloor::testing {

namespace asio = boost::asio;

namespace {

app::Config test_config(const std::string& id, const std::function<void(app::Config&)>& adjust) {
  auto loaded = app::load_config_from_environment();
  if (!loaded) throw std::runtime_error("test configuration: " + loaded.error().message);
  app::Config c = std::move(*loaded);
  for (http::ServerOptions* listener : {&c.mes, &c.pricing, &c.shop}) {
    listener->port = 0;
    listener->reuse_port = false;
  }
  c.cache_prefix = "sf:test:" + id + ":";
  c.cache.op_timeout = std::chrono::milliseconds(250);
  if (c.admin_token.empty()) c.admin_token = "sft_test_admin_" + random_id(20);
  if (adjust) adjust(c);
  return c;
}

}  // namespace

ServiceStack::ServiceStack(const std::function<void(app::Config&)>& adjust)
    : id_(random_id()), config_(test_config(id_, adjust)) {
  shard_ =
      std::make_unique<app::Shard>(config_, std::make_shared<cache::InvalidationLedger>(), health_);
  shard_->start();  // binds now; nothing runs until the thread does
  for (const auto& f : shard_->change_feeds()) {
    if (std::find(channels_.begin(), channels_.end(), f.channel) == channels_.end())
      channels_.push_back(f.channel);
  }
  listener_ = shard_->change_feed_listener();
  thread_ = std::thread([this] { shard_->ioc.run(); });

  const bool up =
      (!config_.cache.enabled || wait_for([this] { return shard_->redis.connected(); }, 10s)) &&
      on_io([this] {
        listener_->start();
        return true;
      }) &&
      wait_for([this] { return feed_settled(); }, 10s);
  if (!up) {
    stop();
    throw std::runtime_error(
        "the stack did not connect to Redis, listen on PostgreSQL, finish its first resync and "
        "heartbeat within 10 s each");
  }
}

bool ServiceStack::feed_settled() {
  return listener_->listening() && listener_->settled() &&
         shard_->engine.ledger().trusted(std::chrono::steady_clock::now());
}

ServiceStack::~ServiceStack() {
  stop();
}

void ServiceStack::stop() {
  if (!thread_.joinable()) return;
  try {
    // (Parameters, not captures: a coroutine lambda's captures die with the temporary.)
    auto done = spawn_future(shard_->ioc, [](ServiceStack* self) -> asio::awaitable<void> {
      self->listener_->stop();
      co_await self->shard_->drain();
    }(this));
    done.wait_for(15s);
  } catch (...) {
    // Stopping anyway.
  }
  shard_->ioc.stop();
  thread_.join();
}

int ServiceStack::port(std::string_view service) const {
  return shard_->port(service);
}

HttpAnswer ServiceStack::request(std::string_view service, const std::string& method,
                                 const std::string& target, const std::string& body,
                                 const std::optional<std::string>& token,
                                 std::string extra_headers) {
  const std::string& bearer_token = token ? *token : admin_token();
  if (!bearer_token.empty()) extra_headers += bearer(bearer_token);
  auto a = testing::request(port(service), method, target, body, extra_headers);
  if (!a) throw std::runtime_error("cannot connect to the test's " + std::string(service) + " API");
  return *a;
}

bool ServiceStack::wait_for(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  return wait_until([&] { return on_io(done); }, limit);
}

void ServiceStack::settle_notifications(std::chrono::milliseconds limit) {
  const std::string marker = "{\"marker\":\"" + random_id() + "\"}";
  for (const auto& channel : channels_)
    sql("SELECT pg_notify($1, $2)", pg::params(channel, marker));
  const bool settled = wait_for(
      [&] {
        for (const auto& channel : channels_)
          if (listener_->last_payload(channel) != marker) return false;
        return listener_->settled();
      },
      limit);
  if (!settled) {
    throw std::runtime_error("the change feeds did not handle the notifications within " +
                             std::to_string(limit.count()) + " ms");
  }
}

pg::Rows ServiceStack::sql(const std::string& statement, pg::Params params) {
  auto answer = run_io(
      [](pg::Pool& db, std::string s, pg::Params p) -> asio::awaitable<pg::PgResult<pg::Rows>> {
        co_return co_await db.query(s, std::move(p));
      }(shard_->db, statement, std::move(params)));
  if (!answer)
    throw std::runtime_error("SQL failed: " + pg::to_string(answer.error()) + ": " + statement);
  return std::move(*answer);
}

ServiceStack::PartnerToken::~PartnerToken() {
  try {
    stack->sql("DELETE FROM api_tokens WHERE name = $1", pg::params(name));
  } catch (...) {
    // The stack's database is gone: nothing left to clean.
  }
}

std::unique_ptr<ServiceStack::PartnerToken> ServiceStack::partner_token() {
  auto t = std::make_unique<PartnerToken>(
      PartnerToken{this, "sf-test-" + id_, "sft_test_" + random_id(20)});
  sql("INSERT INTO api_tokens (name, role, token_hash) VALUES ($1, 'partner', $2)",
      pg::params(t->name, auth::Authenticator::token_hash(t->secret)));
  return t;
}

}  // namespace shopfloor::testing
