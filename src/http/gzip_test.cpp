// gzip: compressing and inflating (against bytes made by gzip(1)), the inflate bound,
// recognising compressed bytes, and Accept-Encoding.
#include "http/gzip.hpp"

#include <gtest/gtest.h>

#include <random>

namespace shopfloor::http {
namespace {

// `printf 'hello, shopfloor\n' | gzip -9 -n`
const std::string kHelloGz(
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\xd7\x51\x28\xce\xc8\x2f"
    "\x48\xcb\xc9\xcf\x2f\xe2\x02\x00\x48\xcd\xde\x4c\x11\x00\x00\x00",
    37);

std::string json_like(int items) {
  std::mt19937 rng(7);
  std::string s = "{\"items\":[";
  for (int i = 0; i < items; ++i) {
    if (i) s += ',';
    s += "{\"number\":\"MO-" + std::to_string(rng() % 1000000) + "\",\"status\":\"in_production\"}";
  }
  return s + "]}";
}

TEST(Gzip, InflatesWhatGzipMade) {
  EXPECT_EQ(gunzip(kHelloGz, 1024), "hello, shopfloor\n");
}

TEST(Gzip, RoundTripsAtEveryLevelAndCompressesJson) {
  const std::string body = json_like(50);
  for (int level = kGzipFastest; level <= kGzipSmallest; ++level) {
    const std::string z = gzip_compress(body, level);
    EXPECT_TRUE(is_gzip(z));
    EXPECT_LT(z.size(), body.size() / 2) << "level " << level;
    EXPECT_EQ(gunzip(z, body.size()), body) << "level " << level;
  }
  EXPECT_EQ(gunzip(gzip_compress(""), 16), "");
}

TEST(Gzip, InflatingPastTheBoundOrBrokenBytesGivesNothing) {
  const std::string body = json_like(200);  // grows the output buffer several times
  const std::string z = gzip_compress(body, kGzipFastest);
  EXPECT_EQ(gunzip(z, body.size()), body);
  EXPECT_FALSE(gunzip(z, body.size() - 1));
  EXPECT_FALSE(gunzip(z.substr(0, z.size() - 4), body.size()));  // no trailer
  EXPECT_FALSE(gunzip(z + "x", body.size() + 1));                // bytes after the member
  std::string flipped = z;
  flipped[z.size() / 2] = static_cast<char>(flipped[z.size() / 2] ^ 0x55);
  EXPECT_FALSE(gunzip(flipped, body.size() * 2));
  EXPECT_FALSE(gunzip("{\"items\":[]}", 1024));
}

TEST(Gzip, NoJsonTextLooksCompressed) {
  EXPECT_TRUE(is_gzip(kHelloGz));
  for (const char* text : {"{}", "[]", "\"x\"", "12", "-1", "true", "null", " {}", "", "\x1f"})
    EXPECT_FALSE(is_gzip(text)) << text;
}

Request with_accept_encoding(std::string value) {
  Request r;
  r.headers.emplace_back("accept-encoding", std::move(value));
  return r;
}

TEST(Gzip, AcceptEncodingIsReadAsRfc9110Says) {
  for (const char* yes : {"gzip", "GZIP", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8", "x-gzip",
                          "*", "deflate, *;q=0.1", " gzip ; q=1", "gzip;q=0.001"})
    EXPECT_TRUE(accepts_gzip(with_accept_encoding(yes))) << yes;
  for (const char* no : {"", "identity", "deflate, br", "gzip;q=0", "gzip;q=0.0", "gzip;q=0.000",
                         "gzip;q=0, *", "*;q=0", "gzip;q=abc", "gzip;q=2", "gzipx", "x, gzipped"})
    EXPECT_FALSE(accepts_gzip(with_accept_encoding(no))) << no;
  EXPECT_FALSE(accepts_gzip(Request{}));
}

}  // namespace
}  // namespace shopfloor::http
