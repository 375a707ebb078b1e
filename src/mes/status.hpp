// Order statuses and the one transition table of CONTRACT.md ("MES API"):
//
//   new            → approved, cancelled
//   approved       → in_production, cancelled
//   in_production  → quality_check, cancelled
//   quality_check  → ready, in_production (rework)
//   ready          → shipped
//   shipped, cancelled: final
//
// Pure values and functions, no I/O; thread-safe. The database stores the snake_case
// names (sql/0004_mes.sql checks the set, not the transitions: the transition table is
// the API's rule).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace shopfloor::mes {

enum class Status : std::uint8_t {
  new_,
  approved,
  in_production,
  quality_check,
  ready,
  shipped,
  cancelled,
};

// Every status in workflow order (the dashboard's by_status order).
inline constexpr std::array<Status, 7> kAllStatuses = {
    Status::new_,  Status::approved, Status::in_production, Status::quality_check,
    Status::ready, Status::shipped,  Status::cancelled};

// "new", "approved", "in_production", "quality_check", "ready", "shipped", "cancelled".
std::string_view to_string(Status s);
// Exact, case-sensitive match of one of the names above.
std::optional<Status> parse_status(std::string_view s);

// Shipped and cancelled orders never change again (through the API).
bool is_final(Status s);

// Whether the contract's table allows `from` → `to` (never from a status to itself).
bool status_transition_allowed(Status from, Status to);

}  // namespace shopfloor::mes
