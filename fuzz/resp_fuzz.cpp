// Fuzz target: bytes from a Redis server → ReplyReader (redis/resp.hpp).
//
// Invariants: nothing throws or crashes whatever the server sends; feeding the bytes at
// once, one byte at a time, or through consume() gives the same replies and the same
// failure; every reply encoded back to RESP parses to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "redis/resp.hpp"

namespace {

using shopfloor::redis::Reply;
using shopfloor::redis::ReplyReader;

struct Outcome {
  std::vector<Reply> replies;
  bool failed = false;
};

Outcome at_once(std::string_view bytes) {
  Outcome o;
  ReplyReader r;
  r.feed(bytes);
  while (auto reply = r.next()) o.replies.push_back(std::move(*reply));
  o.failed = r.failed();
  return o;
}

Outcome byte_by_byte(std::string_view bytes) {
  Outcome o;
  ReplyReader r;
  for (std::size_t i = 0; i < bytes.size() && !r.failed(); ++i) {
    r.feed(bytes.substr(i, 1));
    while (auto reply = r.next()) o.replies.push_back(std::move(*reply));
  }
  o.failed = r.failed();
  return o;
}

Outcome consumed(std::string_view bytes) {
  Outcome o;
  ReplyReader r;
  const bool ok = r.consume(bytes, [&](Reply&& reply) {
    o.replies.push_back(std::move(reply));
    return true;
  });
  o.failed = r.failed();
  FUZZ_CHECK(ok == !o.failed, "consume() reports the failure");
  return o;
}

void encode(const Reply& r, std::string& out) {
  switch (r.type) {
    case Reply::Type::nil:
      out += "$-1\r\n";
      return;
    case Reply::Type::status:
      out += '+' + r.str + "\r\n";
      return;
    case Reply::Type::error:
      out += '-' + r.str + "\r\n";
      return;
    case Reply::Type::integer:
      out += ':' + std::to_string(r.integer) + "\r\n";
      return;
    case Reply::Type::string:
      out += '$' + std::to_string(r.str.size()) + "\r\n" + r.str + "\r\n";
      return;
    case Reply::Type::array:
      out += '*' + std::to_string(r.elements.size()) + "\r\n";
      for (const auto& e : r.elements) encode(e, out);
      return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const Outcome a = at_once(bytes);
  const Outcome b = byte_by_byte(bytes);
  const Outcome c = consumed(bytes);
  FUZZ_CHECK(a.failed == b.failed && a.replies == b.replies, "byte-by-byte = at once");
  FUZZ_CHECK(a.failed == c.failed && a.replies == c.replies, "consume() = at once");
  for (const auto& r : a.replies) (void)shopfloor::redis::to_string(r);

  std::string wire;
  for (const auto& r : a.replies) encode(r, wire);
  const Outcome again = at_once(wire);
  FUZZ_CHECK(!again.failed && again.replies == a.replies, "encode(replies) parses back");
  return 0;
}
