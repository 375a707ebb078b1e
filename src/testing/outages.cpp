#include "testing/outages.hpp"

#include <cstdlib>

#include "testing/settings.hpp"

namespace shopfloor::testing {

bool devenv(const std::string& action) {
  const std::string cmd = env("SHOPFLOOR_DEVENV") + " " + action + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

ServerOutage::ServerOutage(std::string server) : server_(std::move(server)) {
  stopped_ = devenv(server_ + "-stop");
}

ServerOutage::~ServerOutage() {
  restart();
}

bool ServerOutage::restart() {
  if (!stopped_) return true;
  stopped_ = !devenv(server_ + "-start");
  return !stopped_;
}

}  // namespace shopfloor::testing
