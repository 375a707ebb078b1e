// Request-target parsing and percent-decoding, on Boost.URL.
#include "http/target.hpp"

#include <boost/url/grammar/charset.hpp>
#include <boost/url/grammar/lut_chars.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/url_view.hpp>

namespace shopfloor::http {
namespace {

namespace urls = boost::urls;

// What RFC 3986 allows in an origin-form target ("/path?query"), plus '%' so
// that escapes pass through unchanged (and malformed ones still fail).
constexpr urls::grammar::lut_chars kTargetChars = urls::pchars + '/' + '?' + '%';

Problem malformed(std::string message) {
  return Problem::bad_input("malformed_target", std::move(message));
}

bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  auto encoded = urls::make_pct_string_view(in);
  if (!encoded) return std::nullopt;
  std::string out = encoded->decode(urls::encoding_opts(plus_is_space));
  if (has_nul(out)) return std::nullopt;
  return out;
}

std::string_view raw_path(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

Result<ParsedTarget> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return malformed("request target must start with '/'");
  }
  // A fragment is never meant for the server; ignore it rather than fail.
  target = target.substr(0, target.find('#'));
  // Beast passes bytes RFC 3986 does not allow unescaped ("|", "[", non-ASCII...),
  // and browsers send some of them in queries: escape them first, so that only
  // malformed escapes are errors.
  // (urls::encode cannot do it: it would escape the '%' of existing escapes too.)
  std::string escaped;
  if (urls::grammar::find_if_not(target.begin(), target.end(), kTargetChars) != target.end()) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    escaped.reserve(target.size() * 3);
    for (const char c : target) {
      if (kTargetChars(c)) {
        escaped += c;
      } else {
        const auto byte = static_cast<unsigned char>(c);
        escaped += {'%', kHex[byte >> 4], kHex[byte & 0xF]};
      }
    }
    target = escaped;
  }
  auto url = urls::parse_origin_form(target);
  if (!url) return malformed("malformed percent-encoding in target");

  ParsedTarget out;
  out.path = url->path();
  if (has_nul(out.path)) return malformed("malformed percent-encoding in path");
  // params() decodes, '+' as space; "a=1&&b=2" yields an empty, valueless pair.
  for (auto param : url->params()) {
    if (param.key.empty() && !param.has_value) continue;
    if (has_nul(param.key) || has_nul(param.value)) {
      return malformed("malformed percent-encoding in query");
    }
    out.query.emplace_back(std::move(param.key), std::move(param.value));
  }
  return out;
}

}  // namespace shopfloor::http
