#include "mes/list_query.hpp"

#include <gtest/gtest.h>

namespace shopfloor::mes {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

std::string key_of(const Params& p, std::string_view today = "2026-11-24") {
  auto q = parse_list_query(p);
  EXPECT_TRUE(q) << (q ? "" : q.error().message);
  return q ? list_cache_key(*q, today) : "";
}

std::string error_code(const Params& p) {
  auto q = parse_list_query(p);
  return q ? "ok" : q.error().code;
}

TEST(ListQuery, DefaultsAreFilledIn) {
  auto q = parse_list_query({});
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->statuses.empty());
  EXPECT_EQ(q->page, 1);
  EXPECT_EQ(q->page_size, 50);
  EXPECT_EQ(to_string(q->sort), "-created_at");
  EXPECT_EQ(list_cache_key(*q, "2026-11-24"), "page=1&page_size=50&sort=-created_at");
  EXPECT_EQ(list_namespace(*q), "orders_list:u");
  EXPECT_TRUE(list_is_tagged(*q));
}

TEST(ListQuery, EquivalentQueriesShareOneKey) {
  const std::string a = key_of({{"status", "approved,new"}, {"customer", "Uralmash"}});
  EXPECT_EQ(a, key_of({{"customer", "Uralmash"}, {"status", "new,approved"}}));
  EXPECT_EQ(a, key_of({{"status", "new"},
                       {"customer", "Uralmash"},
                       {"status", "approved,new"},
                       {"page", "1"},
                       {"sort", "-created_at"},
                       {"page_size", "50"}}));
  EXPECT_EQ(a, key_of({{"page", "01"},
                       {"status", "new,approved"},
                       {"customer", "Uralmash"},
                       {"page", "1"},
                       {"overdue", "false"}}));
  EXPECT_NE(a, key_of({{"status", "new"}, {"customer", "Uralmash"}}));
  EXPECT_NE(a, key_of({{"status", "approved,new"}, {"customer", "Uralmash"}, {"page", "2"}}));
  // All seven statuses filter nothing.
  EXPECT_EQ(key_of({}), key_of({{"status",
                                 "new,approved,in_production,quality_check,ready,"
                                 "shipped,cancelled"}}));
}

TEST(ListQuery, OverdueKeysCarryTheDate) {
  EXPECT_NE(key_of({{"overdue", "true"}}, "2026-11-24"),
            key_of({{"overdue", "true"}}, "2026-11-25"));
  EXPECT_EQ(key_of({}, "2026-11-24"), key_of({}, "2026-11-25"));
}

TEST(ListQuery, ValuesCannotForgeOtherParameters) {
  EXPECT_NE(key_of({{"customer", "a&page=2"}}), key_of({{"customer", "a"}, {"page", "2"}}));
  EXPECT_NE(key_of({{"customer", "x&work_center=y"}}),
            key_of({{"customer", "x"}, {"work_center", "y"}}));
}

TEST(ListQuery, NamespaceIsTheMostSelectiveFilter) {
  auto ns = [](const Params& p) { return list_namespace(*parse_list_query(p)); };
  EXPECT_EQ(ns({{"customer", "Acme"}, {"work_center", "CNC-1"}, {"status", "new"}}),
            "orders_list:c:Acme");
  EXPECT_EQ(ns({{"work_center", "CNC-1"}, {"status", "new"}}), "orders_list:w:CNC-1");
  EXPECT_EQ(ns({{"status", "new"}, {"overdue", "true"}}), "orders_list:s:new");
  EXPECT_EQ(ns({{"status", "new,new"}}), "orders_list:s:new");
  EXPECT_EQ(ns({{"status", "new,approved"}}), "orders_list:all");
  EXPECT_EQ(ns({{"overdue", "true"}}), "orders_list:all");
  EXPECT_EQ(ns({{"customer", "Acme"}, {"overdue", "true"}}), "orders_list:c:Acme");
}

TEST(ListQuery, EveryListNamespaceNamesEachFamilyOnce) {
  const auto all = every_list_namespace({"Acme"}, {"CNC-1"});
  EXPECT_EQ(all,
            (std::vector<std::string>{
                "orders_list:all", "orders_list:u", "orders_list:s:new", "orders_list:s:approved",
                "orders_list:s:in_production", "orders_list:s:quality_check", "orders_list:s:ready",
                "orders_list:s:shipped", "orders_list:s:cancelled", "orders_list:c:Acme",
                "orders_list:cu:Acme", "orders_list:w:CNC-1", "orders_list:wu:CNC-1"}));
}

TEST(ListQuery, ListsFilteredByNeitherStatusNorOverdueAreTaggedInTheirOwnNamespaces) {
  auto q = [](const Params& p) { return *parse_list_query(p); };
  EXPECT_EQ(list_namespace(q({{"sort", "due_date"}, {"page", "3"}})), "orders_list:u");
  EXPECT_EQ(list_namespace(q({{"customer", "Acme"}, {"work_center", "CNC-1"}})),
            "orders_list:cu:Acme");
  EXPECT_EQ(list_namespace(q({{"work_center", "CNC-1"}, {"overdue", "false"}})),
            "orders_list:wu:CNC-1");
  // All seven statuses is no filter at all.
  EXPECT_TRUE(list_is_tagged(
      q({{"status", "new,approved,in_production,quality_check,ready,shipped,cancelled"}})));
  EXPECT_FALSE(list_is_tagged(q({{"customer", "Acme"}, {"status", "new"}})));
  EXPECT_FALSE(list_is_tagged(q({{"overdue", "true"}})));
}

TEST(ListQuery, BadInputIsRejected) {
  EXPECT_EQ(error_code({{"page_size", "0"}}), "invalid_page_size");
  EXPECT_EQ(error_code({{"page_size", "201"}}), "invalid_page_size");
  EXPECT_EQ(error_code({{"page_size", "200"}}), "ok");
  EXPECT_EQ(error_code({{"page_size", "1"}}), "ok");
  EXPECT_EQ(error_code({{"page_size", "+5"}}), "invalid_page_size");
  EXPECT_EQ(error_code({{"page_size", " 5"}}), "invalid_page_size");
  EXPECT_EQ(error_code({{"page", "0"}}), "invalid_page");
  EXPECT_EQ(error_code({{"page", "-1"}}), "invalid_page");
  EXPECT_EQ(error_code({{"page", "1000001"}}), "invalid_page");
  EXPECT_EQ(error_code({{"page", "99999999999999999999"}}), "invalid_page");
  EXPECT_EQ(error_code({{"page", "1.5"}}), "invalid_page");
  EXPECT_EQ(error_code({{"sort", "price"}}), "invalid_sort");
  EXPECT_EQ(error_code({{"sort", "--number"}}), "invalid_sort");
  EXPECT_EQ(error_code({{"sort", "-number"}}), "ok");
  EXPECT_EQ(error_code({{"status", "done"}}), "invalid_status");
  EXPECT_EQ(error_code({{"status", "new,"}}), "invalid_status");
  EXPECT_EQ(error_code({{"status", ""}}), "invalid_status");
  EXPECT_EQ(error_code({{"overdue", "yes"}}), "invalid_overdue");
  EXPECT_EQ(error_code({{"colour", "red"}}), "unknown_parameter");
  EXPECT_EQ(error_code({{"Status", "new"}}), "unknown_parameter");
  EXPECT_EQ(error_code({{"customer", ""}}), "invalid_customer");
  EXPECT_EQ(error_code({{"customer", std::string(201, 'a')}}), "invalid_customer");
  EXPECT_EQ(error_code({{"customer", "\xff\xfe"}}), "invalid_customer");
  EXPECT_EQ(error_code({{"customer", "\xd0\xa3\xd1\x80\xd0\xb0\xd0\xbb"}}), "ok");  // Урал
  EXPECT_EQ(error_code({{"page", "1"}, {"page", "2"}}), "conflicting_parameter");
  EXPECT_EQ(error_code({{"sort", "number"}, {"sort", "-number"}}), "conflicting_parameter");
  EXPECT_EQ(error_code({{"customer", "a"}, {"customer", "b"}}), "conflicting_parameter");
}

TEST(ListQuery, Utf8Validation) {
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("\xe2\x82\xac"));       // €
  EXPECT_TRUE(valid_utf8("\xf0\x9f\x98\x80"));   // emoji
  EXPECT_FALSE(valid_utf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(valid_utf8("a\x80"));
}

}  // namespace
}  // namespace shopfloor::mes
