// The pure Redis Cluster protocol pieces: slots against the values the cluster spec and
// CLUSTER KEYSLOT give, key positions of formatted commands, redirections, CLUSTER SLOTS.
#include "redis/cluster_protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shopfloor::redis::cluster {
namespace {

TEST(ClusterSlot, Crc16IsTheSpecsXmodemVariant) {
  // The cluster spec's reference: CRC16 of "123456789" is 0x31C3.
  EXPECT_EQ(crc16("123456789"), 0x31C3);
  EXPECT_EQ(crc16(""), 0);
  EXPECT_EQ(key_slot("123456789"), 0x31C3 & 16383);
}

TEST(ClusterSlot, MatchesClusterKeyslot) {
  // Values of CLUSTER KEYSLOT from the command's documentation.
  EXPECT_EQ(key_slot("somekey"), 11058);
  EXPECT_EQ(key_slot("foo{hash_tag}"), 2515);
  EXPECT_EQ(key_slot("bar{hash_tag}"), 2515);
  EXPECT_EQ(key_slot("{user1}.following"), 8106);
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
}

TEST(ClusterSlot, HashTagRules) {
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  // An empty tag: the whole key. Only the first '{' and the first '}' after it count.
  EXPECT_EQ(key_slot("foo{}{bar}"), crc16("foo{}{bar}") & 16383);
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
  EXPECT_EQ(key_slot("no closing {brace"), crc16("no closing {brace") & 16383);
}

std::optional<std::string> key_of(std::vector<std::string> argv) {
  const std::string bytes = format_command(std::span<const std::string>(argv));
  auto key = command_key(bytes);
  return key ? std::optional<std::string>(std::string(*key)) : std::nullopt;
}

TEST(ClusterKey, FirstArgumentUnlessScriptOrKeyless) {
  EXPECT_EQ(key_of({"GET", "a"}), "a");
  EXPECT_EQ(key_of({"MGET", "sf:c:{n}:gen", "sf:c:{n}:1:v:k"}), "sf:c:{n}:gen");
  EXPECT_EQ(key_of({"set", "k", "v", "NX", "PX", "10"}), "k");
  EXPECT_EQ(key_of({"EVALSHA", "abc", "3", "k1", "k2", "k3", "a1"}), "k1");
  EXPECT_EQ(key_of({"eval", "return 1", "1", "k1"}), "k1");
  EXPECT_EQ(key_of({"EVALSHA", "abc", "0", "a1"}), std::nullopt);
  EXPECT_EQ(key_of({"PING"}), std::nullopt);
  EXPECT_EQ(key_of({"INFO", "server"}), std::nullopt);
  EXPECT_EQ(key_of({"SCRIPT", "LOAD", "return 1"}), std::nullopt);
  EXPECT_EQ(key_of({"CLUSTER", "SLOTS"}), std::nullopt);
  EXPECT_EQ(key_of({"SCAN", "0", "MATCH", "sf:*"}), std::nullopt);
  // A binary key with CR LF inside is taken by its length, not by its bytes.
  EXPECT_EQ(key_of({"GET", std::string("a\r\nb", 4)}), std::string("a\r\nb", 4));
  EXPECT_EQ(command_key("not resp"), std::nullopt);
  EXPECT_EQ(command_key("*2\r\n$3\r\nGET\r\n$10\r\nshort\r\n"), std::nullopt);
}

TEST(ClusterEndpoint, Parse) {
  auto e = parse_endpoint("127.0.0.1:56511");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 56511);
  auto v6 = parse_endpoint("[::1]:7000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(to_string(*v6), "[::1]:7000");
  EXPECT_EQ(parse_endpoint(":7000")->host, "");
  EXPECT_FALSE(parse_endpoint("host"));
  EXPECT_FALSE(parse_endpoint("host:"));
  EXPECT_FALSE(parse_endpoint("host:0"));
  EXPECT_FALSE(parse_endpoint("host:65536"));
  EXPECT_FALSE(parse_endpoint("host:12x"));
}

Reply error(std::string s) {
  Reply r;
  r.type = Reply::Type::error;
  r.str = std::move(s);
  return r;
}
Reply integer(long long n) {
  Reply r;
  r.type = Reply::Type::integer;
  r.integer = n;
  return r;
}
Reply string(std::string s) {
  Reply r;
  r.type = Reply::Type::string;
  r.str = std::move(s);
  return r;
}
Reply array(std::vector<Reply> elements) {
  Reply r;
  r.type = Reply::Type::array;
  r.elements = std::move(elements);
  return r;
}

TEST(ClusterRedirect, MovedAndAsk) {
  const Endpoint from{"10.0.0.1", 7000};
  auto moved = parse_redirect(error("MOVED 3999 127.0.0.1:6381"), from);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->kind, Redirect::Kind::moved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->target.host, "127.0.0.1");
  EXPECT_EQ(moved->target.port, 6381);
  auto ask = parse_redirect(error("ASK 12 :7001"), from);
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->kind, Redirect::Kind::ask);
  EXPECT_EQ(ask->target.host, "10.0.0.1");  // empty host: the answering node's
  EXPECT_FALSE(parse_redirect(error("MOVED 16384 a:1"), from));
  EXPECT_FALSE(parse_redirect(error("NOSCRIPT No matching script"), from));
  EXPECT_FALSE(parse_redirect(string("MOVED 1 a:1"), from));
}

TEST(ClusterSlots, ParsesPrimaries) {
  const Endpoint from{"10.0.0.1", 7000};
  const Reply reply = array({
      array({integer(0), integer(5460), array({string("127.0.0.1"), integer(7000), string("id")}),
             array({string("127.0.0.1"), integer(7003), string("id2")})}),
      array({integer(5461), integer(16383), array({string(""), integer(7001)})}),
  });
  auto ranges = parse_cluster_slots(reply, from);
  ASSERT_TRUE(ranges);
  ASSERT_EQ(ranges->size(), 2u);
  EXPECT_EQ((*ranges)[0].first, 0);
  EXPECT_EQ((*ranges)[0].last, 5460);
  EXPECT_EQ((*ranges)[0].primary.port, 7000);
  EXPECT_EQ((*ranges)[1].primary.host, "10.0.0.1");
  EXPECT_FALSE(parse_cluster_slots(error("NOPERM"), from));
  EXPECT_FALSE(parse_cluster_slots(array({array({integer(5), integer(2), array({})})}), from));
}

}  // namespace
}  // namespace shopfloor::redis::cluster
