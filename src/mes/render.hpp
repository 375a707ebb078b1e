// JSON bodies of the MES API from the rows of repository.cpp's statements (their
// column layouts are defined next to them, in sql.hpp). Boost.JSON does the escaping.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "mes/list_page.hpp"

namespace shopfloor::pg {
class Rows;
}

namespace shopfloor::mes {

// sql::list_statement rows → the page's total, ids and rendered rows (list_body()
// makes the answer of them).
ListPage render_list(const pg::Rows& rows);
// sql::kOrderRow rows (exactly one) → the Order object as a list shows it.
std::string render_order_row(const pg::Rows& rows);
// sql::kOrder rows (at least one) → Order + "history".
std::string render_order(const pg::Rows& rows);
// sql::kDashboard rows → the dashboard.
std::string render_dashboard(const pg::Rows& rows);

}  // namespace shopfloor::mes
