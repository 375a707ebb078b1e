#include "mes/status.hpp"

namespace shopfloor::mes {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::new_:
      return "new";
    case Status::approved:
      return "approved";
    case Status::in_production:
      return "in_production";
    case Status::quality_check:
      return "quality_check";
    case Status::ready:
      return "ready";
    case Status::shipped:
      return "shipped";
    case Status::cancelled:
      return "cancelled";
  }
  return "new";
}

std::optional<Status> parse_status(std::string_view s) {
  for (Status candidate : kAllStatuses)
    if (to_string(candidate) == s) return candidate;
  return std::nullopt;
}

bool is_final(Status s) {
  return s == Status::shipped || s == Status::cancelled;
}

bool status_transition_allowed(Status from, Status to) {
  switch (from) {
    case Status::new_:
      return to == Status::approved || to == Status::cancelled;
    case Status::approved:
      return to == Status::in_production || to == Status::cancelled;
    case Status::in_production:
      return to == Status::quality_check || to == Status::cancelled;
    case Status::quality_check:
      return to == Status::ready || to == Status::in_production;
    case Status::ready:
      return to == Status::shipped;
    case Status::shipped:
    case Status::cancelled:
      return false;
  }
  return false;
}

}  // namespace shopfloor::mes
