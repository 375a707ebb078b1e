// Options: how a redis::Client reaches and talks to the server.
//
// A plain value read once by the constructor; later changes have no effect.
// Secrets (password, key file contents) are never logged.
//
// Thread-safety: a plain value; copy freely.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopfloor::redis {

// A node's address: a host name or an IP literal, and a port.
struct Endpoint {
  std::string host;
  std::uint16_t port = 6379;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// How the server is found: see Options::mode.
enum class Mode { standalone, cluster, sentinel };

struct Options {
  // Server address: a host name or an IP literal, resolved on every connect.
  // Default: "127.0.0.1", 6379. TLS, credentials, db and timeouts below apply to every
  // node of a cluster too (db must be 0 there: a cluster has database 0 only).
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;

  // How the server is found:
  //   standalone: {host, port} is the server;
  //   cluster: a Redis Cluster, discovered from `nodes`;
  //   sentinel: `nodes` are Redis Sentinels, asked in order for the address of the
  //     primary named `sentinel_master` before every connect; the client follows
  //     their +switch-master announcements (redis/sentinel.hpp).
  // Default: standalone.
  Mode mode = Mode::standalone;
  // cluster: seed nodes (any reachable primary or replica); sentinel: the Sentinels.
  // Empty: {host, port}.
  std::vector<Endpoint> nodes;
  // sentinel: the monitored primary's name. Default "shopfloor".
  std::string sentinel_master = "shopfloor";

  // TLS: when true the server certificate is verified against ca_file (or the
  // system store when empty) and its name against server_name. cert_file and
  // key_file (PEM) present a client certificate for mutual TLS when both set.
  // Default: false (plain TCP), all files empty.
  bool tls = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Name sent as SNI and checked against the certificate (DNS name or IP).
  // Default: empty, meaning the host connected to. TLS, user, password and the
  // timeouts apply to every node, the Sentinels included.
  std::string server_name;

  // ACL credentials for AUTH. Empty user with a password sends the legacy
  // `AUTH password`; both empty skip AUTH. Default: empty.
  std::string user;
  std::string password;

  // Database selected with SELECT after AUTH when non-zero. Default: 0.
  int db = 0;

  // Pipelined connections per Client, used round robin per write batch over
  // the ready ones. Default: 2.
  std::size_t connections = 2;

  // Bound on the whole handshake: resolve, TCP connect, TLS handshake, AUTH,
  // SELECT, CLIENT SETNAME. A connection whose
  // oldest reply is overdue by 2 x connect_timeout past its own deadline is
  // declared dead. Default: 1000 ms.
  std::chrono::milliseconds connect_timeout{1000};

  // Per-command deadline when a call passes no timeout. Default: 50 ms.
  std::chrono::milliseconds command_timeout{50};

  // Reconnect backoff: the n-th consecutive failed attempt waits a random time
  // in [d/2, d] with d = min(reconnect_max, reconnect_min * 2^n).
  // Default: 50 ms .. 2000 ms.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};

  // CLIENT SETNAME value; empty skips SETNAME.
  // Default: "shopfloor".
  std::string client_name = "shopfloor";

  // Ask every new connection which server process it reached (`INFO server`: run_id)
  // before it carries commands, so the owner can tell a restarted or replaced server
  // from the one it knew (Client::server_changes, on_server_change). The ACL user then
  // needs +info. Default: false.
  bool identify_server = false;
};

// Parses one "host:port" ("[IPv6]:port"; an empty host is allowed: a MOVED reply's
// "the node you asked"); nullopt when malformed.
std::optional<Endpoint> parse_endpoint(std::string_view text);

// Parses "host:port,host:port,..." (SHOPFLOOR_REDIS_NODES): spaces around entries are
// ignored, an empty text is an empty list. On a malformed entry returns false and says
// which in `error` (`out` is then unspecified).
bool parse_endpoints(std::string_view text, std::vector<Endpoint>& out, std::string& error);

}  // namespace shopfloor::redis
