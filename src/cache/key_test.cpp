#include "cache/key.hpp"

#include <gtest/gtest.h>

namespace shopfloor::cache {
namespace {

TEST(SafeSegment, KeepsPlainShortSegments) {
  EXPECT_EQ(safe_segment("orders:status=new&page=1", 200), "orders:status=new&page=1");
}

TEST(SafeSegment, HashesUnsafeOrLongSegmentsStably) {
  for (std::string raw : {std::string("with space"), std::string("{tag}"), std::string("Уралмаш"),
                          std::string(201, 'a'), std::string("#looks-hashed"), std::string()}) {
    const std::string s = safe_segment(raw, 200);
    EXPECT_EQ(s.size(), 33u) << raw;
    EXPECT_EQ(s.front(), '#');
    EXPECT_EQ(s, safe_segment(raw, 200)) << "deterministic";
  }
  EXPECT_NE(safe_segment("a b", 200), safe_segment("a  b", 200));
}

TEST(KeyFingerprint, IsShortAndSeparatesNamespaceFromKey) {
  EXPECT_EQ(key_fingerprint("ns", "key").size(), 12u);
  EXPECT_NE(key_fingerprint("ns", "key"), key_fingerprint("nsk", "ey"));
}

}  // namespace
}  // namespace shopfloor::cache
