// The one mapping from a cache lookup to the HTTP answer, for every service: the
// stored bytes as the body with the contract's X-Cache header (HIT, MISS or BYPASS),
// or the loader's Problem as the error envelope (a loader's error is never cached).
//
// Thread-safety: a pure function.
#pragma once

#include "cache/cache.hpp"
#include "http/error_response.hpp"
#include "http/message.hpp"

namespace shopfloor::http {

inline Response cached_response(Result<cache::Answer> answer, unsigned status = 200) {
  if (!answer) return error_response(answer.error());
  Response r = Response::json(status, std::move(answer->value));
  r.headers.emplace_back("X-Cache", cache::to_string(answer->source));
  return r;
}

}  // namespace shopfloor::http
