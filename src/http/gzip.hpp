// gzip (RFC 1952) for HTTP bodies: compressing, inflating with a bound, recognising
// compressed bytes, and reading a request's Accept-Encoding. Used by the static console
// files and by cached answers stored compressed (cached_response.hpp).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace shopfloor::http {

// zlib's levels: 1 fastest … 9 smallest.
inline constexpr int kGzipFastest = 1;
inline constexpr int kGzipSmallest = 9;

// The gzip member of `data` at `level`. Throws std::runtime_error only when zlib cannot
// allocate its state.
std::string gzip_compress(std::string_view data, int level = kGzipSmallest);

// The bytes inside a gzip member; nullopt when `data` is not one whole, valid member or
// it would inflate to more than `max_bytes`.
std::optional<std::string> gunzip(std::string_view data, std::size_t max_bytes);

// Starts like a gzip member (ID1 ID2 CM = 1f 8b 08). No JSON text starts so: a JSON
// value starts with whitespace, '{', '[', '"', a digit, '-', 't', 'f' or 'n'.
bool is_gzip(std::string_view data);

// Whether the client accepts `Content-Encoding: gzip` (RFC 9110 12.5.3): "gzip",
// "x-gzip" or "*" listed with a q-value above 0, matched case-insensitively.
bool accepts_gzip(const Request& req);

}  // namespace shopfloor::http
