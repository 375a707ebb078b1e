// ListPage: one page of GET /orders as its parts — the total, the page's order ids and
// their rendered rows — and the two forms it is cached in (list_query.hpp, "Cache
// layout"): the whole body, or, for lists without a status filter, an id page (total and
// ids; the rows live in the per-order "order_row" cache). Pure functions; thread-safe.
//
// Id page encoding: "<total>;<id>,<id>,…" in decimal ("1000000;" for an empty page).
// Decoding refuses anything else (a corrupt or foreign entry is treated as a miss).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopfloor::mes {

struct IdPage {
  long long total = 0;
  std::vector<long long> ids;  // in list order
  bool operator==(const IdPage&) const = default;
};

struct ListPage {
  IdPage index;
  std::vector<std::string> rows;  // one rendered Order object per id, same order
};

std::string encode_id_page(const IdPage& page);
std::optional<IdPage> decode_id_page(std::string_view encoded);

// {"items":[<rows>…],"page":p,"page_size":n,"total":t}: the list body (CONTRACT.md). The
// rows are already JSON objects.
std::string list_body(const std::vector<std::string>& rows, int page, int page_size,
                      long long total);

}  // namespace shopfloor::mes
