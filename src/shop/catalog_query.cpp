// Catalog query parsing and cache keys.
#include "shop/catalog_query.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <set>

namespace shopfloor::shop {
namespace {

// RFC 3986 percent-encoding of everything but the unreserved characters (Boost.URL).
void append_escaped(std::string& out, std::string_view s) {
  out += boost::urls::encode(s, boost::urls::unreserved_chars);
}

// Decimal digits only, value in [min, max].
std::optional<long long> parse_bounded(std::string_view text, long long min, long long max) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  long long v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > max) return std::nullopt;  // also stops before any overflow
  }
  if (v < min) return std::nullopt;
  return v;
}

}  // namespace

Result<CatalogQuery> parse_catalog_query(
    const std::vector<std::pair<std::string, std::string>>& query) {
  CatalogQuery q;
  std::set<std::string_view> seen;
  for (const auto& [name, value] : query) {
    if (name != "category" && name != "page" && name != "page_size") {
      return Problem::bad_input("unknown_parameter",
                                "unknown query parameter; allowed: category, page, page_size");
    }
    if (!seen.insert(name).second) {
      return Problem::bad_input("repeated_parameter", "query parameter " + name + " given twice");
    }
    if (name == "category") {
      if (value.size() > kMaxCategoryBytes) {
        return Problem::bad_input(
            "invalid_category",
            "category is at most " + std::to_string(kMaxCategoryBytes) + " bytes");
      }
      if (!value.empty()) q.category = value;
    } else if (name == "page") {
      auto page = parse_bounded(value, 1, kMaxPage);
      if (!page) {
        return Problem::bad_input("invalid_page",
                                  "page must be an integer from 1 to " + std::to_string(kMaxPage));
      }
      q.page = *page;
    } else {
      auto size = parse_bounded(value, 1, kMaxPageSize);
      if (!size) {
        return Problem::bad_input("invalid_page_size", "page_size must be an integer from 1 to " +
                                                           std::to_string(kMaxPageSize));
      }
      q.page_size = *size;
    }
  }
  return q;
}

std::string catalog_list_key(const CatalogQuery& q) {
  std::string key = "list|cat=";
  if (q.category) {
    key.push_back('=');  // "=x" for a category, "*" for all: cannot meet
    append_escaped(key, *q.category);
  } else {
    key.push_back('*');
  }
  key += "|page=" + std::to_string(q.page) + "|size=" + std::to_string(q.page_size);
  return key;
}

std::string catalog_item_key(std::string_view sku) {
  std::string key = "item|";
  append_escaped(key, sku);
  return key;
}

}  // namespace shopfloor::shop
