// Cluster: slot map, per-primary clients, redirections, background refresh (cluster.hpp).
#include "redis/cluster.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "redis/command.hpp"
#include "redis/connection.hpp"
#include "redis/errors.hpp"
#include "redis/script.hpp"
#include "redis/stats.hpp"

namespace shopfloor::redis::detail {

using boost::system::error_code;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

bool is_connection_failure(const error_code& ec) {
  return ec == make_error_code(error::not_connected) ||
         ec == make_error_code(error::connection_lost);
}

}  // namespace

Cluster::Cluster(asio::any_io_executor ex, Options opts)
    : ex_(std::move(ex)), opts_(std::move(opts)), refresh_timer_(ex_) {
  seeds_ = opts_.nodes;
  if (seeds_.empty()) seeds_.push_back(Endpoint{opts_.host, opts_.port});
}

Cluster::~Cluster() {
  stop();
}

void Cluster::start() {
  if (started_ || stopped_) return;
  started_ = true;
  started_at_ = Clock::now();
  for (const auto& seed : seeds_) node_for(seed);
  asio::co_spawn(ex_, refresh_loop(shared_from_this()), [](std::exception_ptr e) {
    log_exception("redis", "cluster topology refresh", e);
  });
}

void Cluster::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& [name, node] : nodes_) node->client->stop();
  refresh_timer_.cancel();
}

bool Cluster::connected() const {
  if (slots_.empty()) return false;
  return std::any_of(primaries_.begin(), primaries_.end(),
                     [](const auto& p) { return p->client->connected(); });
}

error_code Cluster::last_error() const {
  for (const auto& [name, node] : nodes_) {
    if (auto ec = node->client->last_error()) return ec;
  }
  return last_error_;
}

std::shared_ptr<Cluster::Node> Cluster::node_for(const Endpoint& endpoint) {
  const std::string name = cluster::to_string(endpoint);
  if (auto it = nodes_.find(name); it != nodes_.end()) return it->second;
  auto node = std::make_shared<Node>();
  node->endpoint = endpoint;
  node->name = name;
  node->created = Clock::now();
  Options o = opts_;
  o.mode = Mode::standalone;
  o.nodes.clear();
  o.host = endpoint.host;
  o.port = endpoint.port;
  node->client = std::make_unique<Client>(ex_, std::move(o));
  std::weak_ptr<Cluster> weak = weak_from_this();
  node->client->on_reconnect([weak] {
    auto self = weak.lock();
    if (self && self->on_reconnect_) self->on_reconnect_();
  });
  node->client->on_server_change([weak](const std::string&) {
    if (auto self = weak.lock()) self->update_server_id();
  });
  nodes_.emplace(name, node);
  if (started_ && !stopped_) node->client->start();
  spdlog::debug("redis: cluster node {} added", name);
  return node;
}

std::shared_ptr<Cluster::Node> Cluster::any_ready_primary() {
  const std::size_t n = primaries_.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (next_primary_ + k) % n;
    if (primaries_[i]->client->connected()) {
      next_primary_ = (i + 1) % n;
      return primaries_[i];
    }
  }
  return nullptr;
}

void Cluster::request_refresh() {
  if (stopped_ || refresh_wanted_) return;
  refresh_wanted_ = true;
  refresh_timer_.cancel();  // wakes the loop if it idles; a spacing wait is not cut short
}

void Cluster::apply(const std::vector<cluster::SlotRange>& ranges) {
  std::vector<std::shared_ptr<Node>> table(cluster::kSlots);
  for (const auto& range : ranges) {
    auto node = node_for(range.primary);
    for (std::size_t s = range.first; s <= range.last; ++s) table[s] = node;
  }
  slots_ = std::move(table);
  drop_unused_nodes();
  update_server_id();
}

// Recomputes the primaries from the map and stops the clients of nodes that are in it no
// longer (a failed primary, a seed that is a replica), unless met moments ago (an ASK
// target may be a primary that owns no slot yet).
void Cluster::drop_unused_nodes() {
  std::vector<std::shared_ptr<Node>> primaries;
  for (const auto& node : slots_) {
    if (node && std::find(primaries.begin(), primaries.end(), node) == primaries.end())
      primaries.push_back(node);
  }
  std::sort(primaries.begin(), primaries.end(),
            [](const auto& a, const auto& b) { return a->name < b->name; });
  primaries_ = std::move(primaries);
  const auto now = Clock::now();
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    const bool primary =
        std::find(primaries_.begin(), primaries_.end(), it->second) != primaries_.end();
    if (!primary && now - it->second->created > 2 * kRefreshInterval) {
      spdlog::info("redis: cluster node {} is no primary any more; closing its connections",
                   it->first);
      it->second->client->stop();
      it = nodes_.erase(it);
    } else {
      ++it;
    }
  }
}

void Cluster::update_server_id() {
  if (!opts_.identify_server || primaries_.empty() || stopped_) return;
  std::vector<std::string> ids;
  ids.reserve(primaries_.size());
  for (const auto& p : primaries_) {
    // A primary not reached yet carries no command either: the digest waits for it.
    if (p->client->server_id().empty()) return;
    ids.push_back(p->client->server_id());
  }
  std::sort(ids.begin(), ids.end());
  std::string joined;
  joined.reserve(ids.size() * 41);
  for (const auto& id : ids) {
    joined += id;
    joined += ',';
  }
  std::string digest = sha1_hex(joined);
  if (digest == server_id_) return;
  if (!server_id_.empty()) {
    spdlog::warn("redis: the cluster's primaries changed (a restart or failover): {} -> {}",
                 server_id_, digest);
  }
  server_id_ = std::move(digest);
  ++server_changes_;
  if (on_server_change_) {
    try {
      on_server_change_(server_id_);
    } catch (...) {
      log_exception("redis", "on_server_change callback", std::current_exception());
    }
  }
}

asio::awaitable<void> Cluster::refresh_loop(std::shared_ptr<Cluster> self) {
  ClientStats& stats = ClientStats::instance();
  bool failing = false;
  while (!self->stopped_) {
    if (!self->refresh_wanted_) {
      // Without a map, ask again soon (the seeds are still connecting).
      self->refresh_timer_.expires_after(self->slots_.empty() ? std::chrono::milliseconds(20)
                                                              : kRefreshInterval);
      co_await self->refresh_timer_.async_wait(kUseTuple);
      if (self->stopped_) break;
    }
    self->refresh_wanted_ = false;
    const bool ok = co_await refresh_once(self);
    if (self->stopped_) break;
    if (ok) {
      stats.cluster_refreshes.inc();
      if (failing) spdlog::info("redis: cluster topology known again");
      failing = false;
    } else if (!self->slots_.empty()) {  // (before the first map: the seeds connecting)
      stats.cluster_refresh_failures.inc();
      if (!failing) spdlog::warn("redis: no cluster node answered CLUSTER SLOTS; retrying");
      failing = true;
    }
    // Spacing: a burst of MOVED replies costs one refresh. A request during this wait
    // is kept (refresh_wanted_) and served right after it.
    asio::steady_timer spacing(self->ex_);
    spacing.expires_after(kRefreshSpacing);
    co_await spacing.async_wait(kUseTuple);
  }
}

asio::awaitable<bool> Cluster::refresh_once(std::shared_ptr<Cluster> self) {
  std::vector<std::shared_ptr<Node>> candidates;
  for (const auto& p : self->primaries_) {
    if (p->client->connected()) candidates.push_back(p);
  }
  if (candidates.empty()) {
    for (const auto& seed : self->seeds_) {
      auto node = self->node_for(seed);
      if (node->client->connected()) candidates.push_back(node);
    }
  }
  if (candidates.empty()) co_return false;
  // Not always the first: a primary that answers with an old map would win every time.
  std::rotate(
      candidates.begin(),
      candidates.begin() + static_cast<std::ptrdiff_t>(self->next_primary_ % candidates.size()),
      candidates.end());
  for (const auto& node : candidates) {
    const auto deadline = Clock::now() + self->opts_.connect_timeout;
    auto r = co_await node->client->exec(Command("CLUSTER", "SLOTS").bytes(), 1, deadline);
    if (self->stopped_) co_return false;
    if (!r) continue;
    auto ranges = cluster::parse_cluster_slots(r->front(), node->endpoint);
    if (!ranges || ranges->empty()) {
      spdlog::warn("redis: cluster node {} answered CLUSTER SLOTS with {}", node->name,
                   to_string(r->front()));
      self->last_error_ = make_error_code(error::handshake_failed);
      continue;
    }
    self->apply(*ranges);
    co_return true;
  }
  co_return false;
}

asio::awaitable<boost::system::result<std::vector<Reply>>> Cluster::route(
    std::shared_ptr<Cluster> self, std::string prefix, std::size_t prefix_count,
    std::string command, Clock::time_point deadline) {
  ClientStats& stats = ClientStats::instance();
  const auto key = cluster::command_key(command);
  const std::optional<std::uint16_t> slot =
      key ? std::optional<std::uint16_t>(cluster::key_slot(*key)) : std::nullopt;
  if (self->slots_.empty() && Clock::now() - self->started_at_ < 2 * self->opts_.connect_timeout) {
    // Just started: the map is moments away (seeds connecting, CLUSTER SLOTS). Worth the
    // wait within the deadline, so that the first commands (a change feed's retirement
    // at start-up) are not refused for it.
    asio::steady_timer wait(self->ex_);
    while (self->slots_.empty() && !self->stopped_ && Clock::now() < deadline) {
      wait.expires_after(std::chrono::milliseconds(1));
      co_await wait.async_wait(kUseTuple);
    }
  }
  std::shared_ptr<Node> ask;
  int tryagain = 0;
  for (int redirects = 0;;) {
    if (self->stopped_) {
      stats.command_error(make_error_code(error::closed)).inc();
      co_return make_error_code(error::closed);
    }
    std::shared_ptr<Node> node = ask;
    if (!node) {
      if (!slot) {
        node = self->any_ready_primary();
      } else if (!self->slots_.empty()) {
        node = self->slots_[*slot];
      }
    }
    if (!node) {
      self->request_refresh();
      stats.command_error(make_error_code(error::not_connected)).inc();
      co_return make_error_code(error::not_connected);
    }
    if (!node->client->connected() &&
        Clock::now() - node->created < 2 * self->opts_.connect_timeout) {
      // A node met moments ago is still connecting: worth the wait, within the deadline.
      asio::steady_timer wait(self->ex_);
      while (!node->client->connected() && !self->stopped_ && Clock::now() < deadline) {
        wait.expires_after(std::chrono::milliseconds(1));
        co_await wait.async_wait(kUseTuple);
      }
    }
    std::string bytes = prefix;
    std::size_t count = prefix_count + 1;
    if (ask) {
      static const std::string kAsking = Command("ASKING").bytes();
      bytes += kAsking;
      ++count;
    }
    bytes += command;
    auto r = co_await node->client->exec(std::move(bytes), count, deadline);
    if (!r) {
      if (is_connection_failure(r.error())) self->request_refresh();
      co_return r.error();
    }
    if (ask) r->erase(r->begin() + static_cast<std::ptrdiff_t>(prefix_count));
    const Reply& last = r->back();
    if (!last.is_error() || redirects >= kMaxRedirects || Clock::now() >= deadline) co_return r;
    if (auto redirect = cluster::parse_redirect(last, node->endpoint)) {
      ++redirects;
      auto target = self->node_for(redirect->target);
      if (redirect->kind == cluster::Redirect::Kind::ask) {
        stats.cluster_ask.inc();
        ask = std::move(target);
        continue;
      }
      stats.cluster_moved.inc();
      ask = nullptr;
      if (!self->slots_.empty() && self->slots_[redirect->slot] != target) {
        self->slots_[redirect->slot] = target;
        self->drop_unused_nodes();
        self->update_server_id();
      }
      self->request_refresh();
      continue;
    }
    if (last.is_error_code("TRYAGAIN")) {
      // A multi-key command while its slot migrates: its keys are on both sides until the
      // migration has moved them all. Asked again after 1, 2, 4 ... 32 ms, as long as the
      // deadline allows (not counted as a redirection: nothing is wrong with the map).
      stats.cluster_tryagain.inc();
      ask = nullptr;
      const auto pause = std::chrono::milliseconds(1 << std::min(tryagain++, 5));
      if (Clock::now() + pause >= deadline) co_return r;
      asio::steady_timer wait(self->ex_);
      wait.expires_after(pause);
      co_await wait.async_wait(kUseTuple);
      continue;
    }
    if (last.is_error_code("CLUSTERDOWN")) self->request_refresh();
    co_return r;
  }
}

asio::awaitable<boost::system::result<Reply>> Cluster::command(std::shared_ptr<Cluster> self,
                                                               std::string bytes,
                                                               std::chrono::milliseconds timeout) {
  const auto deadline =
      Clock::now() + (timeout.count() > 0 ? timeout : self->opts_.command_timeout);
  auto replies = co_await route(self, std::string(), 0, std::move(bytes), deadline);
  if (!replies) co_return replies.error();
  if (replies->back().is_error()) ClientStats::instance().command_error_reply.inc();
  co_return std::move(replies->back());
}

asio::awaitable<boost::system::result<Reply>> Cluster::eval(std::shared_ptr<Cluster> self,
                                                            std::string evalsha, std::string body,
                                                            std::chrono::milliseconds timeout) {
  const auto deadline =
      Clock::now() + (timeout.count() > 0 ? timeout : self->opts_.command_timeout);
  auto first = co_await route(self, std::string(), 0, evalsha, deadline);
  if (!first) co_return first.error();
  if (!first->back().is_error_code("NOSCRIPT")) {
    if (first->back().is_error()) ClientStats::instance().command_error_reply.inc();
    co_return std::move(first->back());
  }
  // This node has not loaded the script (a new primary, a restart, SCRIPT FLUSH): load it
  // there and retry in one round trip.
  spdlog::debug("redis: NOSCRIPT on a cluster node; loading the script and retrying");
  auto second = co_await route(self, Command("SCRIPT", "LOAD", body).bytes(), 1, std::move(evalsha),
                               deadline);
  if (!second) co_return second.error();
  const std::size_t answer = (*second)[0].is_error() ? 0 : 1;
  if ((*second)[answer].is_error()) ClientStats::instance().command_error_reply.inc();
  co_return std::move((*second)[answer]);
}

}  // namespace shopfloor::redis::detail
