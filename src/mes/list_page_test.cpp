#include "mes/list_page.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace shopfloor::mes {
namespace {

TEST(IdPage, RoundTrips) {
  for (const IdPage& page : {IdPage{0, {}}, IdPage{1'000'000, {}}, IdPage{3, {42}},
                             IdPage{999, {7, 1'000'000, 3, 9'223'372'036'854'775'807}}}) {
    auto decoded = decode_id_page(encode_id_page(page));
    ASSERT_TRUE(decoded) << encode_id_page(page);
    EXPECT_EQ(*decoded, page);
  }
  EXPECT_EQ(encode_id_page(IdPage{12, {5, 4}}), "12;5,4");
}

TEST(IdPage, AnythingElseIsRefused) {
  for (const char* bad : {"", "12", ";", "x;1", "-1;1", "12;1,", "12;,1", "12;1,,2", "12;0", "12;a",
                          "12;1 ", " 12;1", "12;99999999999999999999", "{\"items\":[]}"})
    EXPECT_FALSE(decode_id_page(bad)) << bad;
}

// The body assembled from cached rows is exactly what Boost.JSON renders for the same
// object (the form CONTRACT.md and the whole-body cache use).
TEST(ListBody, IsTheContractsListObject) {
  const std::vector<std::string> rows{R"({"number":"ORD-0000002","status":"new"})",
                                      R"({"number":"ORD-0000001","status":"ready"})"};
  const std::string body = list_body(rows, 3, 2, 1234);
  boost::json::object expected;
  boost::json::array items;
  for (const auto& r : rows) items.push_back(boost::json::parse(r));
  expected["items"] = std::move(items);
  expected["page"] = 3;
  expected["page_size"] = 2;
  expected["total"] = 1234;
  EXPECT_EQ(body, boost::json::serialize(expected));
  EXPECT_EQ(list_body({}, 1, 50, 0), R"({"items":[],"page":1,"page_size":50,"total":0})");
}

}  // namespace
}  // namespace shopfloor::mes
