// Key guards: how user-influenced namespace and key strings become safe cache keys.
//
// A segment made only of [A-Za-z0-9._:=,&+-] and no longer than the limit is kept as
// it is (readable in redis-cli); anything else (spaces, braces that would break Redis
// Cluster hash tags, non-ASCII customer names, long query strings) is replaced by
// "#" + the first 32 hex digits of its SHA-256. Equal inputs give equal outputs.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace shopfloor::cache {

std::string safe_segment(std::string_view raw, std::size_t max_bytes);
// 12 hex digits identifying a key in logs without printing the key itself.
std::string key_fingerprint(std::string_view ns, std::string_view key);

}  // namespace shopfloor::cache
