// The pure parts of sentinel mode: SHOPFLOOR_REDIS_NODES lists and +switch-master
// messages.
#include "redis/sentinel.hpp"

#include <gtest/gtest.h>

#include "redis/options.hpp"

namespace shopfloor::redis {
namespace {

TEST(ParseEndpoints, ReadsCommaSeparatedHostPortPairs) {
  std::vector<Endpoint> nodes;
  std::string error;
  ASSERT_TRUE(parse_endpoints(" 127.0.0.1:26379, sentinel-b:26380,[::1]:7", nodes, error));
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0], (Endpoint{"127.0.0.1", 26379}));
  EXPECT_EQ(nodes[1], (Endpoint{"sentinel-b", 26380}));
  EXPECT_EQ(nodes[2], (Endpoint{"::1", 7}));
  EXPECT_TRUE(parse_endpoints("  ", nodes, error));
  EXPECT_TRUE(nodes.empty());
}

TEST(ParseEndpoints, RefusesMalformedEntriesNamingThem) {
  std::vector<Endpoint> nodes;
  std::string error;
  for (const char* bad : {"host", "host:", ":6379", "a:1,,b:2", "h:0", "h:65536", "h:12x"}) {
    EXPECT_FALSE(parse_endpoints(bad, nodes, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  EXPECT_FALSE(parse_endpoints("a:1,b", nodes, error));
  EXPECT_NE(error.find("'b'"), std::string::npos) << error;
}

TEST(ParseSwitchMaster, GivesTheNewPrimaryOfTheMonitoredName) {
  auto to = detail::parse_switch_master("shopfloor 127.0.0.1 6379 127.0.0.2 6380", "shopfloor");
  ASSERT_TRUE(to);
  EXPECT_EQ(*to, (Endpoint{"127.0.0.2", 6380}));
  EXPECT_FALSE(detail::parse_switch_master("other 127.0.0.1 6379 127.0.0.2 6380", "shopfloor"));
  EXPECT_FALSE(detail::parse_switch_master("shopfloor 127.0.0.1 6379 127.0.0.2", "shopfloor"));
  EXPECT_FALSE(detail::parse_switch_master("shopfloor 1 2 3 4 5", "shopfloor"));
  EXPECT_FALSE(detail::parse_switch_master("shopfloor a 1 b x", "shopfloor"));
}

}  // namespace
}  // namespace shopfloor::redis
