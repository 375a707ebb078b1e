// The pure parts of the Redis Cluster protocol, for the cluster router (cluster.hpp) and
// its unit tests: key slots (CRC16 mod 16384 with {hash tags}), which argument of a
// formatted command is its key, MOVED/ASK redirections, CLUSTER SLOTS replies and
// host:port endpoints. No I/O.
//
// Key position (what the router uses): for EVAL, EVALSHA (and their _RO forms, FCALL)
// the first key after numkeys, none when numkeys is 0; for the keyless commands listed in
// cluster_protocol.cpp (PING, INFO, SCRIPT, CLUSTER, SCAN, CLIENT...) none; otherwise
// argv[1]. Multi-key commands must keep their keys in one slot (the caller's hash tags):
// the router routes by the first key only and the server refuses a cross-slot command.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/options.hpp"
#include "redis/resp.hpp"

namespace shopfloor::redis::cluster {

constexpr std::uint16_t kSlots = 16384;

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as the cluster spec defines.
std::uint16_t crc16(std::string_view data);

// The slot of `key`: CRC16 of the hash tag (the bytes between the first '{' and the next
// '}' after it, when not empty) or of the whole key, mod 16384.
std::uint16_t key_slot(std::string_view key);

// The key of a command formatted as RESP (`*N\r\n$len\r\narg\r\n...`, format_command),
// by the rule above; nullopt for a keyless command or bytes that are not one command.
std::optional<std::string_view> command_key(std::string_view command);

// "host:port": redis::parse_endpoint (options.hpp).
using redis::parse_endpoint;
std::string to_string(const Endpoint& endpoint);

// A MOVED or ASK error reply: "MOVED 3999 127.0.0.1:6381". An empty host means the host
// of the node that answered (`from`).
struct Redirect {
  enum class Kind { moved, ask };
  Kind kind = Kind::moved;
  std::uint16_t slot = 0;
  Endpoint target;
};
std::optional<Redirect> parse_redirect(const Reply& reply, const Endpoint& from);

// One slot range of CLUSTER SLOTS and its primary.
struct SlotRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  Endpoint primary;
};
// A CLUSTER SLOTS reply asked of `from` (an empty or "?" host means from's host).
// nullopt when it is not a well-formed reply.
std::optional<std::vector<SlotRange>> parse_cluster_slots(const Reply& reply, const Endpoint& from);

}  // namespace shopfloor::redis::cluster
