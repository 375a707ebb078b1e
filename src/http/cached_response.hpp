// The one mapping from a cache lookup to the HTTP answer, for every service: the
// stored bytes as the body with the contract's X-Cache header (HIT, MISS or BYPASS),
// or the loader's Problem as the error envelope (a loader's error is never cached).
//
// Stored bytes may be a gzip member (stored_body(): what a loader stores when its
// answers are kept compressed). Those go out as they are, with `Content-Encoding: gzip`,
// to a request that accepts gzip, and inflated for the others; both answers carry
// `Vary: Accept-Encoding`. A JSON body never looks like gzip (gzip.hpp), so caches that
// store plain JSON are unaffected.
//
// Thread-safety: pure functions.
#pragma once

#include "cache/cache.hpp"
#include "http/error_response.hpp"
#include "http/gzip.hpp"
#include "http/message.hpp"

namespace shopfloor::http {

// What a loader stores for `body`: with `compress`, its gzip at the fastest level (a
// miss pays it on the loaded, busiest path; level 6 is ~17% smaller for ~2x the time)
// when the body is large enough to gain from it; else the body itself. Below ~1 KB
// zlib's fixed cost per inflate (its state and 32 KB window) outweighs the bytes saved:
// the dashboard (~800 B) alone beside writers served 19.7k req/s stored compressed to
// clients without gzip, 27.7k stored plain.
inline std::string stored_body(std::string body, bool compress) {
  constexpr std::size_t kMinBytes = 1024;
  if (!compress || body.size() < kMinBytes) return body;
  std::string z = gzip_compress(body, kGzipFastest);
  return z.size() < body.size() ? z : body;
}

inline Response cached_response(Result<cache::Answer> answer, const Request& req,
                                unsigned status = 200) {
  if (!answer) return error_response(answer.error());
  if (!is_gzip(answer->value)) {
    Response r = Response::json(status, std::move(answer->value));
    r.headers.emplace_back("X-Cache", cache::to_string(answer->source));
    return r;
  }
  const bool send_compressed = accepts_gzip(req);
  std::string body;
  if (send_compressed) {
    body = std::move(answer->value);
  } else {
    constexpr std::size_t kMaxInflatedBytes = std::size_t{64} << 20;
    auto plain = gunzip(answer->value, kMaxInflatedBytes);
    if (!plain) return error_response(Problem::internal("a stored answer is not valid gzip"));
    body = std::move(*plain);
  }
  Response r = Response::json(status, std::move(body));
  r.headers.emplace_back("X-Cache", cache::to_string(answer->source));
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (send_compressed) r.headers.emplace_back("Content-Encoding", "gzip");
  return r;
}

}  // namespace shopfloor::http
