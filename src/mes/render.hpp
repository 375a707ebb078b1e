// JSON bodies of the MES API from the rows of repository.cpp's statements (their
// column layouts are defined next to them, in sql.hpp). Boost.JSON does the escaping.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace shopfloor::pg {
class Rows;
}

namespace shopfloor::mes {

// sql::list_statement rows → {"items":[…],"page":p,"page_size":n,"total":t}; the items'
// internal ids go to *ids (in order) when given.
std::string render_list(const pg::Rows& rows, int page, int page_size,
                        std::vector<long long>* ids = nullptr);
// sql::kOrder rows (at least one) → Order + "history".
std::string render_order(const pg::Rows& rows);
// sql::kDashboard rows → the dashboard.
std::string render_dashboard(const pg::Rows& rows);

}  // namespace shopfloor::mes
