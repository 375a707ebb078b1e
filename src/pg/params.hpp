// Params: the values of $1..$n, sent separately from the SQL text.
//
// Parameters travel in libpq's text format; std::nullopt is SQL NULL. Cast in
// SQL where the type is not obvious ("$1::bigint"). Values never become part of
// the statement text, so they need no escaping.
//
// GCC 12 caveat: a braced list written inside a co_await expression, e.g.
// `co_await pool.query(sql, {id, name})`, does not compile ("array used as
// initializer", a g++ 12 coroutine bug with initializer_list temporaries). Write
// `co_await pool.query(sql, pg::params(id, name))`, or build a named Params first.
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace shopfloor::pg {

using Params = std::vector<std::optional<std::string>>;

// One parameter in text form: strings as they are, integers in decimal, bool as
// true/false, std::nullopt (or an empty optional) as NULL.
template <class T>
std::optional<std::string> to_param(T&& v) {
  using D = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<D, std::nullopt_t>) {
    return std::nullopt;
  } else if constexpr (std::is_same_v<D, std::optional<std::string>>) {
    return std::forward<T>(v);
  } else if constexpr (std::is_same_v<D, bool>) {
    return std::string(v ? "true" : "false");
  } else if constexpr (std::is_integral_v<D>) {
    return std::to_string(v);
  } else {
    return std::string(std::forward<T>(v));  // std::string, std::string_view, const char*
  }
}

template <class... A>
Params params(A&&... values) {
  Params p;
  p.reserve(sizeof...(A));
  (p.push_back(to_param(std::forward<A>(values))), ...);
  return p;
}

}  // namespace shopfloor::pg
