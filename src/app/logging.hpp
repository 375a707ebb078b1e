// Logging set-up: spdlog's default logger on stderr, human text or JSON lines.
// JSON lines carry ts (RFC 3339 UTC), level, thread and msg (escaped), one object a line.
// Call once at start-up, before other threads start.
#pragma once

#include <string>

namespace shopfloor::app {

void setup_logging(const std::string& level, bool json);

}  // namespace shopfloor::app
