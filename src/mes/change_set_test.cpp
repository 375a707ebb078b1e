#include "mes/change_set.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace shopfloor::mes {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(ChangeEvent, ParsesTheTriggersPayload) {
  auto c = parse_change_event(
      R"({"orders" : [42, 43], "statuses" : ["new","approved"], "customers" : ["Uralmash"],)"
      R"( "work_centers" : ["CNC-1", "CNC-2"], "txid" : 777})");
  EXPECT_FALSE(c.all);
  EXPECT_EQ(c.txid, 777);
  EXPECT_EQ(c.order_ids, (std::vector<long long>{42, 43}));
  EXPECT_EQ(c.statuses, (std::vector<Status>{Status::new_, Status::approved}));
  EXPECT_EQ(c.customers, (std::vector<std::string>{"Uralmash"}));
  EXPECT_EQ(c.work_centers, (std::vector<std::string>{"CNC-1", "CNC-2"}));
  EXPECT_TRUE(c.moved) << "an event without \"moved\" (before sql/0008) moved orders";
  EXPECT_FALSE(parse_change_event(R"({"orders":[1],"statuses":["new"],"moved":false})").moved);
  EXPECT_TRUE(parse_change_event(R"({"orders":[1],"statuses":["new"],"moved":true})").moved);
  EXPECT_TRUE(parse_change_event(R"({"orders":[1],"moved":"no"})").all);
}

TEST(ChangeEvent, AnythingUnreadableMeansAll) {
  EXPECT_TRUE(parse_change_event(R"({"all":true})").all);
  EXPECT_TRUE(parse_change_event("").all);
  EXPECT_TRUE(parse_change_event("not json").all);
  EXPECT_TRUE(parse_change_event("[1]").all);
  EXPECT_TRUE(parse_change_event(R"({"orders":"x"})").all);
  EXPECT_TRUE(parse_change_event(R"({"orders":[1],"statuses":["done"]})").all);
  EXPECT_TRUE(parse_change_event(R"({"orders":[1],"customers":[1]})").all);
  EXPECT_FALSE(parse_change_event(R"({"orders":[1],"statuses":["new"]})").all);
}

TEST(ChangeEvent, HistoryRowsRetireOnlyTheirOrders) {
  auto c = parse_change_event(R"({"history":[7,9],"txid":12})");
  EXPECT_FALSE(c.all);
  EXPECT_TRUE(c.history_only);
  EXPECT_EQ(c.order_ids, (std::vector<long long>{7, 9}));
  EXPECT_EQ(c.txid, 12);
  EXPECT_TRUE(parse_change_event(R"({"history":[]})").all);
  EXPECT_TRUE(parse_change_event(R"({"history":["7"]})").all);
  EXPECT_FALSE(parse_change_event(R"({"orders":[1],"statuses":["new"]})").history_only);
}

TEST(RetiredWrites, RemembersTheMostRecent4096) {
  RetiredWrites& w = RetiredWrites::instance();
  const long long base = 1'000'000'000'000;
  for (long long i = 0; i < 5000; ++i) w.add(base + i);
  EXPECT_FALSE(w.contains(base));
  EXPECT_FALSE(w.contains(base + 903));
  EXPECT_TRUE(w.contains(base + 904));
  EXPECT_TRUE(w.contains(base + 4999));
  EXPECT_FALSE(w.contains(base + 5000));
}

TEST(ChangeEvent, RetiresExactlyTheNamespacesTheChangeCanAffect) {
  ChangeSet c;
  c.order_ids = {7};
  c.statuses = {Status::new_, Status::approved};
  c.customers = {"Acme"};
  c.work_centers = {"CNC-1"};
  const auto ns = affected_list_namespaces(c);
  EXPECT_TRUE(has(ns, "orders_list:s:new"));
  EXPECT_TRUE(has(ns, "orders_list:s:approved"));
  EXPECT_TRUE(has(ns, "orders_list:c:Acme"));
  EXPECT_TRUE(has(ns, "orders_list:w:CNC-1"));
  EXPECT_TRUE(has(ns, "orders_list:all"));
  // It moved orders (the default): the unfiltered lists too, whole.
  EXPECT_TRUE(has(ns, "orders_list:u"));
  EXPECT_TRUE(has(ns, "orders_list:cu:Acme"));
  EXPECT_TRUE(has(ns, "orders_list:wu:CNC-1"));
  EXPECT_EQ(ns.size(), 8u);
  EXPECT_FALSE(has(ns, "orders_list:s:shipped"));
  EXPECT_FALSE(has(ns, "orders_list:c:Other"));
  EXPECT_TRUE(tagged_list_namespaces(c).empty());
}

TEST(ChangeEvent, AChangeInPlaceRetiresOnlyTheTaggedPagesOfUnfilteredLists) {
  ChangeSet c;
  c.order_ids = {7, 8};
  c.statuses = {Status::in_production, Status::quality_check};
  c.customers = {"Acme"};
  c.work_centers = {"CNC-1"};
  c.moved = false;
  const auto whole = affected_list_namespaces(c);
  EXPECT_EQ(whole.size(), 5u);
  EXPECT_FALSE(has(whole, "orders_list:u"));
  EXPECT_FALSE(has(whole, "orders_list:cu:Acme"));
  const auto tagged = tagged_list_namespaces(c);
  EXPECT_EQ(tagged, (std::vector<std::string>{"orders_list:cu:Acme", "orders_list:wu:CNC-1",
                                              "orders_list:u"}));
  EXPECT_EQ(list_tag(7), "7");
  // Without the orders there is nothing to find the pages by: retired whole.
  c.order_ids.clear();
  EXPECT_TRUE(has(affected_list_namespaces(c), "orders_list:u"));
  EXPECT_TRUE(tagged_list_namespaces(c).empty());
}

}  // namespace
}  // namespace shopfloor::mes
