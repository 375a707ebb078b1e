#include "testing/outages.hpp"

#include <cstdio>
#include <cstdlib>

#include "testing/settings.hpp"

namespace shopfloor::testing {

bool devenv(const std::string& action) {
  const std::string cmd = env("SHOPFLOOR_DEVENV") + " " + action + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

std::string redis_admin(const std::string& args) {
  const std::string cmd = "redis-cli --tls --cacert '" + env("SHOPFLOOR_TEST_TLS_DIR") +
                          "/ca.crt' -h " + env("SHOPFLOOR_REDIS_HOST") + " -p " +
                          env("SHOPFLOOR_REDIS_PORT") + " --user " +
                          env("SHOPFLOOR_TEST_REDIS_ADMIN_USER") + " --pass '" +
                          secret_from_env("SHOPFLOOR_TEST_REDIS_ADMIN_PASSWORD_FILE") +
                          "' --no-auth-warning " + args + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[1024];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
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
