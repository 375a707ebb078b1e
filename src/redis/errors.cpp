// The error category of the Redis client: names for the transport errors.
#include "redis/errors.hpp"

#include <string>

namespace shopfloor::redis {
namespace {

class ErrorCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "shopfloor.redis"; }

  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::timeout:
        return "redis command timed out";
      case error::not_connected:
        return "no redis connection is ready";
      case error::connection_lost:
        return "redis connection lost";
      case error::protocol:
        return "redis protocol error";
      case error::auth_failed:
        return "redis authentication failed";
      case error::closed:
        return "redis client closed";
      case error::handshake_failed:
        return "redis connection handshake failed";
    }
    return "unknown redis error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const ErrorCategory category;
  return category;
}

}  // namespace shopfloor::redis
