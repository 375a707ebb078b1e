// RESP2: the reply value, command formatting and an incremental reply reader.
//
// Pure code, no I/O: the transport feeds received bytes to a ReplyReader and
// takes complete replies out in order; commands are turned into bytes with
// format_command. Formatting and parsing are done by hiredis (its reader and
// redisFormatCommandArgv), wrapped so that no hiredis type leaks out and
// replies are built directly as Reply values.
//
// RESP3-only types are not expected: the client never sends HELLO 3. Valkey
// speaks the same RESP2.
//
// Thread-safety: Reply is a plain value. A ReplyReader is a stateful parser
// used by one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct redisReader;  // hiredis

namespace shopfloor::redis {

// One server reply. For type error the server's message is in `str`
// ("NOPERM ..."): a value, not a transport failure.
struct Reply {
  enum class Type { nil, status, error, integer, string, array };
  Type type = Type::nil;
  std::string str;              // status, error, string
  long long integer = 0;        // integer
  std::vector<Reply> elements;  // array

  bool is_nil() const { return type == Type::nil; }
  bool is_status() const { return type == Type::status; }
  bool is_error() const { return type == Type::error; }
  bool is_integer() const { return type == Type::integer; }
  bool is_string() const { return type == Type::string; }
  bool is_array() const { return type == Type::array; }
  // A status reply "OK" (SET, SELECT, AUTH...).
  bool is_ok() const { return type == Type::status && str == "OK"; }
  // An error reply whose first word is `code` ("NOSCRIPT", "NOPERM", "WRONGPASS").
  bool is_error_code(std::string_view code) const;

  friend bool operator==(const Reply&, const Reply&) = default;
};

// Short human-readable form for logs and test messages: `"abc"`, `(integer) 3`,
// `(nil)`, `(error) NOPERM ...`, `[...]`. Long strings are abbreviated.
std::string to_string(const Reply& reply);
std::string_view to_string(Reply::Type type);

// RESP bytes of one command (`*N\r\n$len\r\narg\r\n...`); arguments are
// binary-safe.
std::string format_command(std::span<const std::string_view> args);
std::string format_command(std::span<const std::string> args);
// Appends the command's bytes to `out`, to build a pipeline in one buffer.
void append_command(std::string& out, std::span<const std::string_view> args);
void append_command(std::string& out, std::span<const std::string> args);

// Incremental RESP2 reply parser. feed() bytes as they arrive, in any split;
// next() returns each complete reply once, in order. On malformed input next()
// returns nullopt and failed() turns true for good; the connection must be
// dropped, as the stream cannot be resynchronised.
//
// hiredis compacts its buffer after every reply, so feeding a large read at
// once and then draining costs a memmove per reply of all that is left;
// consume() feeds pieces of a few KiB and drains after each instead.
class ReplyReader {
 public:
  ReplyReader();
  ~ReplyReader();
  ReplyReader(ReplyReader&&) noexcept;
  ReplyReader& operator=(ReplyReader&&) noexcept;
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;

  void feed(std::string_view bytes);
  std::optional<Reply> next();

  // Drains already buffered replies, then feeds `bytes` in pieces of a few
  // KiB, calling on_reply(Reply&&) for every complete reply in order. Returns
  // false on a protocol error or as soon as on_reply returns false (the rest
  // of `bytes` is then not consumed).
  template <class OnReply>
  bool consume(std::string_view bytes, OnReply&& on_reply) {
    while (true) {
      while (auto reply = next()) {
        if (!on_reply(std::move(*reply))) return false;
      }
      if (failed()) return false;
      if (bytes.empty()) return true;
      const std::size_t n = bytes.size() < kFeedPiece ? bytes.size() : kFeedPiece;
      feed(bytes.substr(0, n));
      bytes.remove_prefix(n);
    }
  }

  bool failed() const { return !error_.empty(); }
  // The parser's description of the protocol error; empty when none.
  const std::string& error() const { return error_; }

 private:
  // Small enough that compacting after each reply moves little, large enough
  // that a 20 KB value takes only a few feeds.
  static constexpr std::size_t kFeedPiece = 4096;

  redisReader* reader_ = nullptr;
  std::unique_ptr<Reply> root_;  // the reply being built (stable address for hiredis)
  std::string error_;
};

}  // namespace shopfloor::redis
