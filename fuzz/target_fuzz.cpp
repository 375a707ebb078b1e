// Fuzz target: a request target as received → parse_target / percent_decode / raw_path.
//
// Invariants: nothing throws; decoded parts never hold a NUL; decoding never grows a
// string; percent-encoding a decoded value and decoding it again gives it back; a target
// rebuilt from a parsed one (path and query re-encoded) parses to the same path and
// query.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/target.hpp"

namespace {

using namespace shopfloor::http;

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (const char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += {'%', kHex[b >> 4], kHex[b & 0xF]};
    }
  }
  return out;
}

bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

void check_decode(std::string_view in, bool plus_is_space) {
  const auto d = percent_decode(in, plus_is_space);
  if (!d) return;
  FUZZ_CHECK(!has_nul(*d), "decoded NUL");
  FUZZ_CHECK(d->size() <= in.size(), "decoding grew the string");
  const auto back = percent_decode(encode(*d, false), plus_is_space);
  FUZZ_CHECK(back && *back == *d, "decode(encode(x)) == x");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_decode(in, false);
  check_decode(in, true);

  const std::string_view raw = raw_path(in);
  FUZZ_CHECK(in.substr(0, raw.size()) == raw, "raw path is a prefix");
  FUZZ_CHECK(raw.find_first_of("?#") == std::string_view::npos, "raw path has no query");

  const auto t = parse_target(in);
  if (!t) {
    FUZZ_CHECK(t.error().code == "malformed_target", "error code");
    return 0;
  }
  FUZZ_CHECK(!in.empty() && in.front() == '/', "only origin-form targets parse");
  FUZZ_CHECK(!t->path.empty() && t->path.front() == '/', "decoded path starts with /");
  FUZZ_CHECK(!has_nul(t->path), "NUL in path");
  std::string rebuilt = encode(t->path, true);
  for (std::size_t i = 0; i < t->query.size(); ++i) {
    const auto& [k, v] = t->query[i];
    FUZZ_CHECK(!has_nul(k) && !has_nul(v), "NUL in query");
    rebuilt += i == 0 ? '?' : '&';
    rebuilt += encode(k, false) + '=' + encode(v, false);
  }
  const auto again = parse_target(rebuilt);
  FUZZ_CHECK(again && again->path == t->path && again->query == t->query,
             "parse(rebuild(parse(x))) == parse(x): " + rebuilt);
  return 0;
}
