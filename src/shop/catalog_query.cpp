// Catalog query parsing and cache keys.
#include "shop/catalog_query.hpp"

#include <set>

namespace shopfloor::shop {
namespace {

void append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
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
