#include "testing/sentinel_topology.hpp"

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "redis/client.hpp"
#include "redis/connection.hpp"
#include "testing/run.hpp"
#include "testing/settings.hpp"

namespace shopfloor::testing {

using namespace std::chrono_literals;

SentinelTopology::SentinelTopology()
    : base_(static_cast<std::uint16_t>(std::stoi(env("SHOPFLOOR_REDIS_SENTINEL_PORT")))) {
  env("SHOPFLOOR_REDIS_NODES");
  try {
    devenv("wait-settled");
  } catch (const std::exception& x) {
    throw std::runtime_error(std::string(x.what()) +
                             " (is the Sentinel topology running? scripts/test.sh starts it: "
                             "scripts/devenv.sh sentinel-start)");
  }
}

SentinelTopology::~SentinelTopology() {
  std::vector<std::string> crashed;
  {
    std::lock_guard lock(mutex_);
    crashed.swap(crashed_);
  }
  for (const std::uint16_t p : cut_) {
    try {
      admin(p, {"ACL", "SETUSER", "replication", "on"});
    } catch (const std::exception&) {
      // Crashed: its restart regenerates the configuration.
    }
  }
  try {
    for (const auto& process : crashed) devenv("start-" + process);
    devenv("wait-settled");
  } catch (const std::exception&) {
    // The next test's constructor reports a topology that did not recover.
  }
}

std::string SentinelTopology::devenv(const std::string& action) const {
  const std::string cmd = env("SHOPFLOOR_DEVENV") + " sentinel-" + action + " 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  const int status = ::pclose(pipe);
  if (status != 0) throw std::runtime_error("devenv.sh sentinel-" + action + " failed");
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

redis::Options SentinelTopology::client_options() const {
  redis::Options o = redis_options();
  o.mode = redis::Mode::sentinel;
  std::string error;
  if (!redis::parse_endpoints(env("SHOPFLOOR_REDIS_NODES"), o.nodes, error)) {
    throw std::runtime_error("SHOPFLOOR_REDIS_NODES: " + error);
  }
  o.sentinel_master = env("SHOPFLOOR_REDIS_SENTINEL_MASTER");
  o.identify_server = true;
  o.client_name = "shopfloor-test";
  o.connect_timeout = 500ms;
  o.reconnect_min = 20ms;
  o.reconnect_max = 200ms;
  return o;
}

std::uint16_t SentinelTopology::port(const std::string& process) const {
  const char* names[] = {"node-a", "node-b", "s1", "s2", "s3"};
  for (std::uint16_t i = 0; i < 5; ++i) {
    if (process == names[i]) return static_cast<std::uint16_t>(base_ + i);
  }
  throw std::invalid_argument("no process " + process);
}

std::uint16_t SentinelTopology::primary_port() const {
  return static_cast<std::uint16_t>(std::stoi(devenv("primary")));
}

std::uint16_t SentinelTopology::replica_port() const {
  return primary_port() == base_ ? static_cast<std::uint16_t>(base_ + 1) : base_;
}

std::string SentinelTopology::node_at(std::uint16_t p) const {
  return p == base_ ? "node-a" : "node-b";
}

redis::Reply SentinelTopology::admin(std::uint16_t p, const std::vector<std::string>& args) const {
  boost::asio::io_context io;
  redis::Options o = redis_options();
  o.host = "127.0.0.1";
  o.port = p;
  o.user = env("SHOPFLOOR_TEST_REDIS_ADMIN_USER");
  o.password = secret_from_env("SHOPFLOOR_TEST_REDIS_ADMIN_PASSWORD_FILE");
  o.connections = 1;
  o.client_name = "shopfloor-test-admin";
  redis::Client client(io.get_executor(), o);
  client.start();
  if (!run_until(
          io, [&] { return client.connected(); }, 3s)) {
    throw std::runtime_error("admin connection to port " + std::to_string(p) + ": " +
                             client.last_error().message());
  }
  auto reply = run(io, client.command(args, 2s), 3s);
  client.stop();
  run_for(io, 10ms);
  if (!reply) throw std::runtime_error("admin command: " + reply.error().message());
  return *reply;
}

std::string SentinelTopology::run_id(std::uint16_t p) const {
  const auto info = admin(p, {"INFO", "server"});
  return redis::info_field(info.str, "run_id");
}

void SentinelTopology::crash(const std::string& process) {
  devenv("crash-" + process);
  std::lock_guard lock(mutex_);
  crashed_.push_back(process);
}

std::string SentinelTopology::crash_primary() {
  std::string node = devenv("crash-primary");
  std::lock_guard lock(mutex_);
  crashed_.push_back(node);
  return node;
}

std::string SentinelTopology::failover() {
  return devenv("failover");
}

void SentinelTopology::cut_replication() {
  const std::uint16_t primary = primary_port();
  const std::uint16_t replica = replica_port();
  cut_.push_back(primary);
  admin(primary, {"ACL", "SETUSER", "replication", "off"});
  admin(primary, {"CLIENT", "KILL", "TYPE", "replica"});
  const bool down = wait_until(
      [&] {
        const auto info = admin(replica, {"INFO", "replication"});
        return redis::info_field(info.str, "master_link_status") == "down";
      },
      5s, 50ms);
  if (!down) throw std::runtime_error("the replica still reports its link to the primary up");
}

}  // namespace shopfloor::testing
