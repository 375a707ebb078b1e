// Router: pattern parsing, matching and precedence.
#include "http/router.hpp"

#include <array>
#include <optional>
#include <stdexcept>

#include "http/target.hpp"

namespace shopfloor::http {
namespace {

constexpr std::size_t kRoutableMethods = 7;  // every Method but `other`

constexpr std::array<Method, kRoutableMethods> kAllowOrder = {
    Method::get,   Method::head,    Method::post,   Method::put,
    Method::patch, Method::delete_, Method::options};

std::size_t index_of(Method m) {
  return static_cast<std::size_t>(m);
}

bool valid_param_name(std::string_view n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// "/a/b/" → {"a", "b", ""}; "/" → {""}.
std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

std::string_view PathParams::get(std::string_view name) const {
  for (const auto& [k, v] : *this) {
    if (k == name) return v;
  }
  return {};
}

struct Router::Shape {
  struct Segment {
    bool param = false;
    std::string literal;  // when !param
  };
  struct Entry {
    Handler handler;
    std::string pattern;
    std::vector<std::string> param_names;  // in segment order
  };
  std::vector<Segment> segments;
  std::array<std::optional<Entry>, kRoutableMethods> entries;

  bool same_shape(const std::vector<Segment>& other) const {
    if (other.size() != segments.size()) return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (segments[i].param != other[i].param) return false;
      if (!segments[i].param && segments[i].literal != other[i].literal) return false;
    }
    return true;
  }

  bool matches(const std::vector<std::string>& path) const {
    if (path.size() != segments.size()) return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (segments[i].param ? path[i].empty() : segments[i].literal != path[i]) return false;
    }
    return true;
  }

  // Both match the same path: the first differing segment decides, literal wins.
  bool more_specific_than(const Shape& other) const {
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (segments[i].param != other.segments[i].param) return !segments[i].param;
    }
    return false;
  }

  const Entry* entry_for(Method m) const {
    if (m == Method::other) return nullptr;
    if (const auto& e = entries[index_of(m)]) return &*e;
    if (m == Method::head) return entry_for(Method::get);
    return nullptr;
  }
};

Router::Router() = default;
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::add(Method m, std::string pattern, Handler h) {
  auto fail = [&](std::string_view why) {
    throw std::invalid_argument("router: pattern '" + pattern + "': " + std::string(why));
  };
  if (m == Method::other) fail("Method::other is not routable");
  if (!h) fail("empty handler");
  if (pattern.empty() || pattern.front() != '/') fail("must start with '/'");

  std::vector<Shape::Segment> segments;
  std::vector<std::string> names;
  const auto raw = split_segments(pattern);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const std::string_view s = raw[i];
    // Only the root "/" and a spelled-out trailing slash may be empty.
    if (s.empty() && raw.size() > 1 && i + 1 != raw.size()) fail("empty segment");
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
      const auto name = s.substr(1, s.size() - 2);
      if (!valid_param_name(name)) fail("invalid parameter name");
      for (const auto& n : names) {
        if (n == name) fail("duplicate parameter name");
      }
      names.emplace_back(name);
      segments.push_back({true, {}});
    } else {
      if (s.find_first_of("{}%?#") != std::string_view::npos) {
        fail("parameters must be whole segments; no '%', '?' or '#'");
      }
      segments.push_back({false, std::string(s)});
    }
  }

  Shape* shape = nullptr;
  for (auto& existing : shapes_) {
    if (existing->same_shape(segments)) shape = existing.get();
  }
  if (shape == nullptr) {
    shapes_.push_back(std::make_unique<Shape>());
    shape = shapes_.back().get();
    shape->segments = std::move(segments);
  }
  auto& slot = shape->entries[index_of(m)];
  if (slot) fail("already routed for this method (as '" + slot->pattern + "')");
  slot.emplace(Shape::Entry{std::move(h), std::move(pattern), std::move(names)});
}

RouteMatch Router::match(Method m, std::string_view path) const {
  RouteMatch out;
  if (path.empty() || path.front() != '/') return out;

  std::vector<std::string> segments;
  for (std::string_view raw : split_segments(path)) {
    auto decoded = percent_decode(raw, false);
    if (!decoded) return out;
    segments.push_back(std::move(*decoded));
  }

  const Shape* best = nullptr;
  const Shape::Entry* best_entry = nullptr;
  std::array<bool, kRoutableMethods> allowed{};
  bool any_shape = false;
  for (const auto& shape : shapes_) {
    if (!shape->matches(segments)) continue;
    any_shape = true;
    for (std::size_t i = 0; i < kRoutableMethods; ++i) {
      if (shape->entries[i]) allowed[i] = true;
    }
    const Shape::Entry* e = shape->entry_for(m);
    if (e != nullptr && (best == nullptr || shape->more_specific_than(*best))) {
      best = shape.get();
      best_entry = e;
    }
  }

  if (best_entry != nullptr) {
    out.outcome = RouteMatch::Outcome::found;
    out.handler = &best_entry->handler;
    out.route = best_entry->pattern;
    std::size_t name = 0;
    for (std::size_t i = 0; i < best->segments.size(); ++i) {
      if (best->segments[i].param) {
        out.params.emplace_back(best_entry->param_names[name++], std::move(segments[i]));
      }
    }
    return out;
  }
  if (!any_shape) return out;

  out.outcome = RouteMatch::Outcome::method_not_allowed;
  if (allowed[index_of(Method::get)]) allowed[index_of(Method::head)] = true;
  for (Method candidate : kAllowOrder) {
    if (!allowed[index_of(candidate)]) continue;
    if (!out.allow.empty()) out.allow += ", ";
    out.allow += to_string(candidate);
  }
  return out;
}

}  // namespace shopfloor::http
