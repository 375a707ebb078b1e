// Turning a cache lookup into the HTTP answer: the stored bytes as the body, the
// contract's X-Cache header (HIT, MISS or BYPASS), or the loader's Problem as the
// error envelope (never cached).
#pragma once

#include "cache/cache.hpp"
#include "http/error_response.hpp"
#include "http/message.hpp"

namespace shopfloor::api {

inline http::Response cached_response(Result<cache::Answer> answer, unsigned status = 200) {
  if (!answer) return http::error_response(answer.error());
  http::Response r = http::Response::json(status, std::move(answer->value));
  r.headers.emplace_back("X-Cache", cache::to_string(answer->source));
  return r;
}

}  // namespace shopfloor::api
