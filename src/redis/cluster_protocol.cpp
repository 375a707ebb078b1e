// Slots, key positions, redirections and CLUSTER SLOTS parsing (cluster_protocol.hpp).
#include "redis/cluster_protocol.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace shopfloor::redis::cluster {
namespace {

constexpr std::array<std::uint16_t, 256> make_crc_table() {
  std::array<std::uint16_t, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned crc = i << 8;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
    table[i] = static_cast<std::uint16_t>(crc & 0xFFFF);
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();

// Commands that carry no key (or whose argv[1] is not one): any node answers them.
constexpr std::array<std::string_view, 22> kKeyless{
    "PING",    "INFO", "SCRIPT",  "CLUSTER", "SCAN", "CLIENT",   "CONFIG", "DBSIZE",
    "ECHO",    "TIME", "COMMAND", "ACL",     "AUTH", "SELECT",   "HELLO",  "FLUSHALL",
    "FLUSHDB", "KEYS", "PUBLISH", "DEBUG",   "WAIT", "RANDOMKEY"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

// Reads "<prefix><decimal>\r\n" at `pos`.
std::optional<long long> read_header(std::string_view s, std::size_t& pos, char prefix) {
  if (pos >= s.size() || s[pos] != prefix) return std::nullopt;
  const auto end = s.find("\r\n", pos);
  if (end == std::string_view::npos) return std::nullopt;
  long long n = 0;
  auto [ptr, ec] = std::from_chars(s.data() + pos + 1, s.data() + end, n);
  if (ec != std::errc() || ptr != s.data() + end || n < 0) return std::nullopt;
  pos = end + 2;
  return n;
}

std::optional<long long> to_integer(std::string_view s) {
  long long n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return n;
}

}  // namespace

std::uint16_t crc16(std::string_view data) {
  std::uint16_t crc = 0;
  for (unsigned char c : data) {
    crc = static_cast<std::uint16_t>((crc << 8) ^ kCrcTable[((crc >> 8) ^ c) & 0xFF]);
  }
  return crc;
}

std::uint16_t key_slot(std::string_view key) {
  const auto open = key.find('{');
  if (open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return static_cast<std::uint16_t>(crc16(key) & (kSlots - 1));
}

std::optional<std::string_view> command_key(std::string_view command) {
  std::size_t pos = 0;
  const auto argc = read_header(command, pos, '*');
  if (!argc || *argc < 1) return std::nullopt;
  // The first four arguments at most: name, then key, or EVAL* script, numkeys, key.
  std::array<std::string_view, 4> argv;
  const auto wanted = std::min<long long>(*argc, 4);
  for (long long i = 0; i < wanted; ++i) {
    const auto len = read_header(command, pos, '$');
    if (!len || pos + static_cast<std::size_t>(*len) + 2 > command.size()) return std::nullopt;
    argv[static_cast<std::size_t>(i)] = command.substr(pos, static_cast<std::size_t>(*len));
    pos += static_cast<std::size_t>(*len) + 2;
  }
  const std::string_view name = argv[0];
  if (iequals(name, "EVAL") || iequals(name, "EVALSHA") || iequals(name, "EVAL_RO") ||
      iequals(name, "EVALSHA_RO") || iequals(name, "FCALL") || iequals(name, "FCALL_RO")) {
    if (wanted < 4) return std::nullopt;
    const auto numkeys = to_integer(argv[2]);
    if (!numkeys || *numkeys < 1) return std::nullopt;
    return argv[3];
  }
  for (std::string_view keyless : kKeyless) {
    if (iequals(name, keyless)) return std::nullopt;
  }
  if (wanted < 2) return std::nullopt;
  return argv[1];
}

std::string to_string(const Endpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

std::optional<Redirect> parse_redirect(const Reply& reply, const Endpoint& from) {
  if (!reply.is_error()) return std::nullopt;
  Redirect r;
  std::string_view s = reply.str;
  if (s.starts_with("MOVED ")) {
    r.kind = Redirect::Kind::moved;
    s.remove_prefix(6);
  } else if (s.starts_with("ASK ")) {
    r.kind = Redirect::Kind::ask;
    s.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const auto space = s.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto slot = to_integer(s.substr(0, space));
  if (!slot || *slot < 0 || *slot >= kSlots) return std::nullopt;
  r.slot = static_cast<std::uint16_t>(*slot);
  auto target = parse_endpoint(s.substr(space + 1));
  if (!target) return std::nullopt;
  if (target->host.empty()) target->host = from.host;
  r.target = std::move(*target);
  return r;
}

std::optional<std::vector<SlotRange>> parse_cluster_slots(const Reply& reply,
                                                          const Endpoint& from) {
  if (!reply.is_array()) return std::nullopt;
  std::vector<SlotRange> out;
  out.reserve(reply.elements.size());
  for (const Reply& range : reply.elements) {
    if (!range.is_array() || range.elements.size() < 3) return std::nullopt;
    const Reply& first = range.elements[0];
    const Reply& last = range.elements[1];
    const Reply& node = range.elements[2];
    if (!first.is_integer() || !last.is_integer() || first.integer < 0 || last.integer >= kSlots ||
        first.integer > last.integer) {
      return std::nullopt;
    }
    if (!node.is_array() || node.elements.size() < 2 || !node.elements[0].is_string() ||
        !node.elements[1].is_integer() || node.elements[1].integer < 1 ||
        node.elements[1].integer > 65535) {
      return std::nullopt;
    }
    SlotRange r;
    r.first = static_cast<std::uint16_t>(first.integer);
    r.last = static_cast<std::uint16_t>(last.integer);
    r.primary.host = node.elements[0].str;
    if (r.primary.host.empty() || r.primary.host == "?") r.primary.host = from.host;
    r.primary.port = static_cast<std::uint16_t>(node.elements[1].integer);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace shopfloor::redis::cluster
