// The devenv Redis Cluster for tests (redis_cluster.hpp).
#include "testing/redis_cluster.hpp"

#include <sstream>
#include <stdexcept>

#include "redis/cluster_protocol.hpp"
#include "testing/run.hpp"
#include "testing/settings.hpp"

namespace shopfloor::testing {

redis::Options redis_cluster_options() {
  redis::Options o = redis_options();
  o.mode = redis::Mode::cluster;
  const std::string seeds = env("SHOPFLOOR_TEST_REDIS_CLUSTER_NODES");
  std::stringstream in(seeds);
  std::string item;
  while (std::getline(in, item, ',')) {
    auto endpoint = redis::cluster::parse_endpoint(item);
    if (!endpoint) throw std::runtime_error("SHOPFLOOR_TEST_REDIS_CLUSTER_NODES: bad " + item);
    o.nodes.push_back(*endpoint);
  }
  return o;
}

std::vector<std::uint16_t> redis_cluster_ports() {
  std::vector<std::uint16_t> ports;
  ports.reserve(6);
  for (const auto& n : redis_cluster_options().nodes) ports.push_back(n.port);
  return ports;
}

bool ClusterAdmin::Node::owns(int slot) const {
  for (auto [first, last] : slots) {
    if (slot >= first && slot <= last) return true;
  }
  return false;
}

ClusterAdmin::ClusterAdmin(boost::asio::io_context& io) : io_(io) {
  for (std::uint16_t port : redis_cluster_ports()) {
    redis::Options o = redis_options();
    o.port = port;
    o.user = env("SHOPFLOOR_TEST_REDIS_ADMIN_USER");
    o.password = secret_from_env("SHOPFLOOR_TEST_REDIS_ADMIN_PASSWORD_FILE");
    o.connections = 1;
    o.reconnect_max = std::chrono::milliseconds(200);
    auto client = std::make_unique<redis::Client>(io_.get_executor(), o);
    client->start();
    clients_.emplace(port, std::move(client));
  }
  run_until(
      io_,
      [&] {
        for (auto& [port, c] : clients_)
          if (!c->connected()) return false;
        return true;
      },
      std::chrono::seconds(2));
  bool any = false;
  for (auto& [port, c] : clients_) any = any || c->connected();
  if (!any) throw std::runtime_error("no node of the Redis cluster answers the admin user");
}

ClusterAdmin::~ClusterAdmin() {
  for (auto& [port, c] : clients_) c->stop();
  run_for(io_, std::chrono::milliseconds(20));
}

redis::Client& ClusterAdmin::client(std::uint16_t port) {
  auto it = clients_.find(port);
  if (it == clients_.end()) throw std::runtime_error("not a cluster node: " + std::to_string(port));
  return *it->second;
}

boost::system::result<redis::Reply> ClusterAdmin::command(std::uint16_t port,
                                                          std::vector<std::string> args,
                                                          std::chrono::milliseconds timeout) {
  return run(io_, client(port).command(std::move(args), timeout),
             timeout + std::chrono::seconds(5));
}

std::vector<ClusterAdmin::Node> ClusterAdmin::nodes(std::optional<std::uint16_t> from) {
  for (auto& [port, c] : clients_) {
    if (from && port != *from) continue;
    if (!c->connected()) continue;
    auto reply = command(port, {"CLUSTER", "NODES"});
    if (!reply || !reply->is_string()) continue;
    std::vector<Node> out;
    std::stringstream lines(reply->str);
    std::string line;
    while (std::getline(lines, line)) {
      std::stringstream words(line);
      std::vector<std::string> w;
      std::string word;
      while (words >> word) w.push_back(word);
      if (w.size() < 8) continue;
      Node n;
      n.id = w[0];
      const auto address = w[1].substr(0, w[1].find('@'));
      auto endpoint = redis::cluster::parse_endpoint(address);
      n.port = endpoint ? endpoint->port : 0;
      n.primary = w[2].find("master") != std::string::npos;
      n.failed = w[2].find("fail") != std::string::npos || w[7] != "connected";
      n.primary_id = w[3] == "-" ? "" : w[3];
      for (std::size_t i = 8; i < w.size(); ++i) {
        if (w[i].front() == '[') continue;  // a migration in progress
        const auto dash = w[i].find('-');
        const int first = std::stoi(w[i].substr(0, dash));
        const int last = dash == std::string::npos ? first : std::stoi(w[i].substr(dash + 1));
        n.slots.emplace_back(first, last);
      }
      out.push_back(std::move(n));
    }
    return out;
  }
  throw std::runtime_error("no cluster node answers CLUSTER NODES");
}

ClusterAdmin::Node ClusterAdmin::owner(int slot) {
  for (auto& n : nodes()) {
    if (n.primary && !n.failed && n.owns(slot)) return n;
  }
  throw std::runtime_error("no primary owns slot " + std::to_string(slot));
}

ClusterAdmin::Node ClusterAdmin::replica_of(const Node& primary) {
  for (auto& n : nodes()) {
    if (!n.primary && !n.failed && n.primary_id == primary.id) return n;
  }
  throw std::runtime_error("primary " + std::to_string(primary.port) + " has no replica");
}

int ClusterAdmin::pid(std::uint16_t port) {
  auto reply = command(port, {"INFO", "server"});
  if (!reply || !reply->is_string()) throw std::runtime_error("INFO server failed");
  const auto at = reply->str.find("process_id:");
  if (at == std::string::npos) throw std::runtime_error("INFO server has no process_id");
  return std::stoi(reply->str.substr(at + 11));
}

bool ClusterAdmin::wait_ok(std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    bool ok = true;
    for (auto& [port, c] : clients_) {
      if (!c->connected()) continue;
      auto reply = command(port, {"CLUSTER", "INFO"}, std::chrono::seconds(1));
      ok = ok && reply && reply->is_string() &&
           reply->str.find("cluster_state:ok") != std::string::npos;
    }
    if (ok) return true;
    run_for(io_, std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace shopfloor::testing
