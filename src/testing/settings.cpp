#include "testing/settings.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace shopfloor::testing {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error(std::string("missing environment variable ") + name +
                             " (source .run/env.sh written by scripts/devenv.sh start)");
  }
  return v;
}

std::string read_secret(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the secret file " + path);
  std::ostringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::string secret_from_env(const char* name) {
  try {
    return read_secret(env(name));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(name) + ": " + e.what());
  }
}

std::string random_id(std::size_t length) {
  thread_local std::mt19937_64 gen(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < length; ++i) s += kHex[gen() % 16];
  return s;
}

pg::Options pg_options(const std::string& application_name) {
  pg::Options o;
  o.host = env("SHOPFLOOR_DB_HOST");
  o.port = static_cast<std::uint16_t>(std::stoi(env("SHOPFLOOR_DB_PORT")));
  o.dbname = env("SHOPFLOOR_DB_NAME");
  o.user = env("SHOPFLOOR_DB_USER");
  o.password = secret_from_env("SHOPFLOOR_DB_PASSWORD_FILE");
  o.application_name = application_name;
  return o;
}

redis::Options redis_options() {
  redis::Options o;
  o.host = env("SHOPFLOOR_REDIS_HOST");
  o.port = static_cast<std::uint16_t>(std::stoi(env("SHOPFLOOR_REDIS_PORT")));
  o.tls = env("SHOPFLOOR_REDIS_TLS") == "true";
  o.ca_file = env("SHOPFLOOR_REDIS_CA_FILE");
  o.server_name = env("SHOPFLOOR_REDIS_SERVER_NAME");
  o.user = env("SHOPFLOOR_REDIS_USER");
  o.password = secret_from_env("SHOPFLOOR_REDIS_PASSWORD_FILE");
  return o;
}

}  // namespace shopfloor::testing
