// Redis Cluster rule for the Redis backend: every command it sends with several keys
// (MGET generation + value; the store, release and retire scripts' KEYS) keeps them in
// one slot, because every key of a namespace carries the namespace as its hash tag.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "cache/key.hpp"
#include "cache/redis_backend.hpp"
#include "redis/client.hpp"
#include "redis/cluster_protocol.hpp"

namespace shopfloor::cache {
namespace {

TEST(RedisBackendSlots, EveryKeyOfANamespaceIsInTheNamespacesSlot) {
  boost::asio::io_context io;
  redis::Client client(io.get_executor(), redis::Options{});  // never started: keys only
  using redis::cluster::key_slot;
  const std::vector<std::string> namespaces = {
      "orders_list", "orders_list:s:new",         "#0123abcd",
      "order",       safe_segment("a}b{c d", 64), safe_segment(std::string(300, 'x'), 64)};
  const std::vector<std::string> keys = {"page=1", "SO-1", "{weird}", "}",
                                         safe_segment("k{x}", 64)};
  for (const std::string prefix : {"sf:", "sf:test:1a2b:", "p{x}:"}) {
    RedisBackend b(client, prefix);
    for (const auto& ns : namespaces) {
      const auto slot = key_slot(b.generation_key(ns));
      for (std::uint64_t generation : {0ULL, 7ULL, 123456789ULL}) {
        for (const auto& key : keys) {
          EXPECT_EQ(key_slot(b.value_key(ns, generation, key)), slot) << prefix << ns << key;
          EXPECT_EQ(key_slot(b.lease_key(ns, generation, key)), slot) << prefix << ns << key;
        }
      }
    }
  }
  // Different namespaces spread over the slots (the tag is the namespace, not the prefix).
  RedisBackend b(client, "sf:");
  EXPECT_NE(key_slot(b.generation_key("orders_list")), key_slot(b.generation_key("order")));
}

}  // namespace
}  // namespace shopfloor::cache
