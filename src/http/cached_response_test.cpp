// cached_response: plain stored bytes as they are; compressed ones sent as stored to a
// client that takes gzip and inflated for the others; stored_body's threshold.
#include "http/cached_response.hpp"

#include <gtest/gtest.h>

namespace shopfloor::http {
namespace {

std::string list_body() {
  std::string s = "{\"items\":[";
  for (int i = 0; i < 80; ++i)
    s += (i ? "," : "") + std::string("{\"number\":\"MO-") + std::to_string(1000 + i) + "\"}";
  return s + "],\"total\":40}";
}

Request request(const char* accept_encoding = nullptr) {
  Request r;
  if (accept_encoding) r.headers.emplace_back("accept-encoding", accept_encoding);
  return r;
}

Result<cache::Answer> stored(std::string value, cache::Source source = cache::Source::hit) {
  return cache::Answer{std::move(value), source};
}

TEST(CachedResponse, PlainStoredBytesGoOutAsTheyAre) {
  Response r = cached_response(stored("{\"a\":1}"), request("gzip"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "{\"a\":1}");
  EXPECT_EQ(r.header("X-Cache"), "HIT");
  EXPECT_FALSE(r.header("Content-Encoding"));
  EXPECT_FALSE(r.header("Vary"));
}

TEST(CachedResponse, CompressedBytesGoAsStoredToGzipClientsAndInflatedToOthers) {
  const std::string body = list_body();
  const std::string z = stored_body(body, true);
  ASSERT_TRUE(is_gzip(z));
  ASSERT_LT(z.size(), body.size());

  Response zipped = cached_response(stored(z, cache::Source::miss), request("gzip, br"));
  EXPECT_EQ(zipped.body, z);
  EXPECT_EQ(zipped.header("Content-Encoding"), "gzip");
  EXPECT_EQ(zipped.header("Vary"), "Accept-Encoding");
  EXPECT_EQ(zipped.header("X-Cache"), "MISS");
  EXPECT_EQ(zipped.content_type, "application/json");

  for (const Request& plain_client : {request(), request("gzip;q=0"), request("identity")}) {
    Response plain = cached_response(stored(z), plain_client);
    EXPECT_EQ(plain.body, body);
    EXPECT_FALSE(plain.header("Content-Encoding"));
    EXPECT_EQ(plain.header("Vary"), "Accept-Encoding");
    EXPECT_EQ(plain.header("X-Cache"), "HIT");
  }
}

TEST(CachedResponse, BrokenCompressedBytesAreAnErrorNotGarbage) {
  std::string z = stored_body(list_body(), true);
  z.resize(z.size() - 8);  // no trailer
  Response r = cached_response(stored(z), request());
  EXPECT_EQ(r.status, 500u);
  EXPECT_NE(r.body.find("\"error\""), std::string::npos) << r.body;
}

TEST(CachedResponse, StoredBodyCompressesOnlyWhenAskedAndWorthIt) {
  const std::string body = list_body();
  EXPECT_EQ(stored_body(body, false), body);
  EXPECT_EQ(stored_body("{\"total\":0}", true), "{\"total\":0}");
  const std::string small(1023, ' ');  // below 1 KB: plain
  EXPECT_EQ(stored_body(small, true), small);
  EXPECT_TRUE(is_gzip(stored_body(small + ' ', true)));
  EXPECT_EQ(gunzip(stored_body(body, true), body.size()), body);
}

TEST(CachedResponse, ALoadersProblemIsTheErrorEnvelope) {
  Response r = cached_response(Problem::not_found("no such order"), request("gzip"));
  EXPECT_EQ(r.status, 404u);
  EXPECT_FALSE(r.header("X-Cache"));
}

}  // namespace
}  // namespace shopfloor::http
