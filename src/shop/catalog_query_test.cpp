// GET /catalog/products query rules and catalog cache keys, on values alone.
#include "shop/catalog_query.hpp"

#include <gtest/gtest.h>

namespace shopfloor::shop {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

std::string error_code(const Query& q) {
  auto r = parse_catalog_query(q);
  EXPECT_FALSE(r);
  if (r) return "(parsed)";
  EXPECT_EQ(r.error().kind, ProblemKind::bad_input);
  return r.error().code;
}

TEST(CatalogQuery, DefaultsAndValues) {
  auto q = parse_catalog_query({});
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->category);
  EXPECT_EQ(q->page, 1);
  EXPECT_EQ(q->page_size, 50);

  q = parse_catalog_query({{"page_size", "200"}, {"category", "racks"}, {"page", "02"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->category, "racks");
  EXPECT_EQ(q->page, 2);
  EXPECT_EQ(q->page_size, 200);

  q = parse_catalog_query({{"category", ""}});  // empty: no filter
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->category);
  EXPECT_TRUE(parse_catalog_query({{"page", std::to_string(kMaxPage)}}));
}

TEST(CatalogQuery, RefusesBadParameters) {
  EXPECT_EQ(error_code({{"page", "0"}}), "invalid_page");
  EXPECT_EQ(error_code({{"page", "-1"}}), "invalid_page");
  EXPECT_EQ(error_code({{"page", "1.0"}}), "invalid_page");
  EXPECT_EQ(error_code({{"page", " 1"}}), "invalid_page");
  EXPECT_EQ(error_code({{"page", ""}}), "invalid_page");
  EXPECT_EQ(error_code({{"page", "abc"}}), "invalid_page");
  EXPECT_EQ(error_code({{"page", std::to_string(kMaxPage + 1)}}), "invalid_page");
  EXPECT_EQ(error_code({{"page", "99999999999999999999999"}}), "invalid_page");
  EXPECT_EQ(error_code({{"page_size", "0"}}), "invalid_page_size");
  EXPECT_EQ(error_code({{"page_size", "201"}}), "invalid_page_size");
  EXPECT_EQ(error_code({{"sort", "sku"}}), "unknown_parameter");
  EXPECT_EQ(error_code({{"page", "1"}, {"page", "1"}}), "repeated_parameter");
  EXPECT_EQ(error_code({{"category", std::string(kMaxCategoryBytes + 1, 'x')}}),
            "invalid_category");
}

TEST(CatalogQuery, SameMeaningSameKey) {
  const std::string plain = catalog_list_key(*parse_catalog_query({}));
  EXPECT_EQ(plain, "list|cat=*|page=1|size=50");
  EXPECT_EQ(catalog_list_key(*parse_catalog_query({{"page_size", "50"}, {"page", "1"}})), plain);
  EXPECT_EQ(catalog_list_key(*parse_catalog_query({{"category", ""}})), plain);
  EXPECT_EQ(catalog_list_key(*parse_catalog_query({{"page", "1"}, {"category", "racks"}})),
            catalog_list_key(*parse_catalog_query({{"category", "racks"}, {"page_size", "50"}})));
}

TEST(CatalogQuery, DifferentMeaningDifferentKey) {
  EXPECT_NE(catalog_list_key({std::string("*"), 1, 50}), catalog_list_key({std::nullopt, 1, 50}));
  EXPECT_NE(catalog_list_key({std::string("a|page=2"), 1, 50}),
            catalog_list_key({std::string("a"), 2, 50}));
  EXPECT_EQ(catalog_list_key({std::string("a|page=2"), 1, 50}),
            "list|cat==a%7Cpage%3D2|page=1|size=50");
  EXPECT_NE(catalog_list_key({std::nullopt, 2, 50}), catalog_list_key({std::nullopt, 1, 50}));
  EXPECT_NE(catalog_list_key({std::nullopt, 1, 20}), catalog_list_key({std::nullopt, 1, 50}));
  EXPECT_EQ(catalog_item_key("BRK-200"), "item|BRK-200");
  EXPECT_EQ(catalog_item_key("A/B c"), "item|A%2FB%20c");
}

}  // namespace
}  // namespace shopfloor::shop
