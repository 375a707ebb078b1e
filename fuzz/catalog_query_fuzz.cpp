// Fuzz target: the query string of GET /catalog/products → parse_target →
// parse_catalog_query → catalog_list_key; and the input as a SKU → catalog_item_key.
//
// Invariants: nothing throws; an accepted query is in range; the query rebuilt from it
// (defaults spelled out, any order) gives the same query and key (normalising is
// idempotent); the key decodes back to the query, so distinct queries never share a
// key; an item key decodes back to its SKU.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "http/target.hpp"
#include "shop/catalog_query.hpp"

namespace {

using namespace shopfloor::shop;
using Params = std::vector<std::pair<std::string, std::string>>;

bool same(const CatalogQuery& a, const CatalogQuery& b) {
  return a.category == b.category && a.page == b.page && a.page_size == b.page_size;
}

// "list|cat=*|page=1|size=50" / "list|cat==<escaped>|page=…|size=…" → the query.
std::optional<CatalogQuery> decode_list_key(std::string_view key) {
  constexpr std::string_view kHead = "list|cat=";
  if (key.substr(0, kHead.size()) != kHead) return std::nullopt;
  key.remove_prefix(kHead.size());
  const auto bar = key.find('|');
  if (bar == std::string_view::npos) return std::nullopt;
  const std::string_view cat = key.substr(0, bar);
  CatalogQuery q;
  if (cat != "*") {
    if (cat.empty() || cat.front() != '=') return std::nullopt;
    auto decoded = shopfloor::http::percent_decode(cat.substr(1), false);
    if (!decoded) return std::nullopt;
    q.category = std::move(*decoded);
  }
  const std::string rest(key.substr(bar));
  long long page = 0, size = 0;
  int used = 0;
  if (std::sscanf(rest.c_str(), "|page=%lld|size=%lld%n", &page, &size, &used) != 2 ||
      static_cast<std::size_t>(used) != rest.size()) {
    return std::nullopt;
  }
  q.page = page;
  q.page_size = size;
  return q;
}

void check_accepted(const Params& params, const CatalogQuery& q) {
  FUZZ_CHECK(q.page >= 1 && q.page <= kMaxPage, "page range");
  FUZZ_CHECK(q.page_size >= 1 && q.page_size <= kMaxPageSize, "page_size range");
  FUZZ_CHECK(!q.category || (!q.category->empty() && q.category->size() <= kMaxCategoryBytes),
             "category");
  const std::string key = catalog_list_key(q);
  const auto decoded = decode_list_key(key);
  FUZZ_CHECK(decoded && same(*decoded, q), "the key decodes back to the query: " + key);

  Params canonical;
  canonical.emplace_back("page_size", std::to_string(q.page_size));
  canonical.emplace_back("page", std::to_string(q.page));
  if (q.category) canonical.emplace_back("category", *q.category);
  const auto again = parse_catalog_query(canonical);
  FUZZ_CHECK(again && same(*again, q) && catalog_list_key(*again) == key, "idempotent");

  const Params reversed(params.rbegin(), params.rend());
  const auto r = parse_catalog_query(reversed);
  FUZZ_CHECK(r && catalog_list_key(*r) == key, "order does not matter");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  const std::string item = catalog_item_key(in);
  FUZZ_CHECK(item.rfind("item|", 0) == 0 && item.find('|', 5) == std::string::npos, "item key");
  const auto sku = shopfloor::http::percent_decode(std::string_view(item).substr(5), false);
  FUZZ_CHECK(in.find('\0') != std::string_view::npos || (sku && *sku == in),
             "item key decodes back to the SKU");

  auto target = shopfloor::http::parse_target("/catalog/products?" + std::string(in));
  if (!target) return 0;
  const auto q = parse_catalog_query(target->query);
  if (!q) {
    const std::string& code = q.error().code;
    FUZZ_CHECK(code.rfind("invalid_", 0) == 0 || code == "unknown_parameter" ||
                   code == "repeated_parameter",
               "error code " + code);
    return 0;
  }
  check_accepted(target->query, *q);
  return 0;
}
