// The Shop API in process on the real PostgreSQL and Redis: catalog pages and items,
// validation, caching, freshness after a direct database change, and Redis down.
// Each test creates its own products in a category of its own (removed afterwards).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>

#include "testing/json_answer.hpp"
#include "testing/outages.hpp"
#include "testing/run.hpp"
#include "testing/service_stack.hpp"
#include "testing/stack_test.hpp"

namespace shopfloor::shop {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::body_of;
using testing::Clock;
using testing::error_code;
using testing::HttpAnswer;

// "sku=price" for each item, in order.
std::vector<std::string> listed(const json::object& page) {
  std::vector<std::string> out;
  for (const auto& item : page.at("items").as_array()) {
    const auto& o = item.as_object();
    out.push_back(std::string(o.at("sku").as_string()) + "=" +
                  std::string(o.at("list_price").as_string()));
  }
  return out;
}

class ShopApi : public testing::StackTest {
 protected:
  void SetUp() override {
    StackTest::SetUp();
    if (HasFatalFailure()) return;
    category_ = "tst-" + stack_->id();
    prefix_ = "TST-" + stack_->id() + "-";
    on_teardown([this] {
      stack_->sql("DELETE FROM products WHERE sku LIKE $1 || '%'", pg::params(prefix_));
    });
    // Three offered products and one without a list price (not in the shop).
    stack_->sql(
        "INSERT INTO products (sku, name, category, list_price) VALUES "
        "($1 || 'A', 'Test A', $2, 100.00), ($1 || 'B', 'Test B', $2, 2500.50), "
        "($1 || 'C', 'Test C', $2, 7.05), ($1 || 'D', 'Test D', $2, NULL)",
        pg::params(prefix_, category_));
    stack_->settle_notifications();
  }

  // Anonymous, as the public shop is.
  HttpAnswer get(const std::string& target) {
    return stack_->request("shop", "GET", target, "", "");
  }

  std::string category_, prefix_;
};

TEST_F(ShopApi, ListsOfferedProductsByCategoryWithPaging) {
  auto a = get("/catalog/products?category=" + category_);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.header("X-Cache"), "MISS");
  json::object page = body_of(a);
  EXPECT_EQ(listed(page), (std::vector<std::string>{prefix_ + "A=100.00", prefix_ + "B=2500.50",
                                                    prefix_ + "C=7.05"}));
  EXPECT_EQ(page.at("page").as_int64(), 1);
  EXPECT_EQ(page.at("page_size").as_int64(), 50);
  EXPECT_EQ(page.at("total").as_int64(), 3);
  const auto& first = page.at("items").as_array().at(0).as_object();
  EXPECT_EQ(first.at("name").as_string(), "Test A");
  EXPECT_EQ(first.at("category").as_string(), category_);

  auto p1 = body_of(get("/catalog/products?page_size=2&category=" + category_));
  EXPECT_EQ(listed(p1), (std::vector<std::string>{prefix_ + "A=100.00", prefix_ + "B=2500.50"}));
  EXPECT_EQ(p1.at("total").as_int64(), 3);
  auto p2 = body_of(get("/catalog/products?category=" + category_ + "&page=2&page_size=2"));
  EXPECT_EQ(listed(p2), (std::vector<std::string>{prefix_ + "C=7.05"}));
  auto past = body_of(get("/catalog/products?category=" + category_ + "&page=9&page_size=2"));
  EXPECT_TRUE(listed(past).empty());
  EXPECT_EQ(past.at("total").as_int64(), 3);

  // The whole catalog: only products with a list price.
  auto all = get("/catalog/products?page_size=200");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.body.find(prefix_ + "D"), std::string::npos);
}

TEST_F(ShopApi, EquivalentQueriesShareOneCacheEntry) {
  auto a = get("/catalog/products?category=" + category_);
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.header("X-Cache"), "MISS");
  auto b = get("/catalog/products?page_size=50&category=" + category_ + "&page=1");
  EXPECT_EQ(b.header("X-Cache"), "HIT");
  EXPECT_EQ(b.body, a.body);
  auto c = get("/catalog/products?category=" + category_ + "&page_size=2");
  EXPECT_EQ(c.header("X-Cache"), "MISS");

  auto item = get("/catalog/products/" + prefix_ + "B");
  ASSERT_EQ(item.status, 200) << item.body;
  EXPECT_EQ(item.header("X-Cache"), "MISS");
  json::object p = body_of(item);
  EXPECT_EQ(p.at("sku").as_string(), prefix_ + "B");
  EXPECT_EQ(p.at("list_price").as_string(), "2500.50");
  EXPECT_EQ(get("/catalog/products/" + prefix_ + "B").header("X-Cache"), "HIT");
}

TEST_F(ShopApi, UnknownOrUnofferedProductIs404) {
  auto a = get("/catalog/products/" + prefix_ + "NOPE");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(error_code(a), "unknown_product");
  a = get("/catalog/products/" + prefix_ + "D");  // exists, but no list price
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(error_code(a), "unknown_product");
}

TEST_F(ShopApi, BadQueriesAre400) {
  for (const std::string q : {"page=0", "page=abc", "page=-1", "page_size=0", "page_size=201",
                              "page_size=1.5", "sort=sku", "page=1&page=2"}) {
    auto a = get("/catalog/products?" + q);
    EXPECT_EQ(a.status, 400) << q;
    EXPECT_NE(error_code(a).find('_'), std::string::npos) << q << " " << a.body;
  }
}

TEST_F(ShopApi, DirectDatabaseChangeIsSeenWithinOneSecond) {
  const std::string target = "/catalog/products/" + prefix_ + "A";
  ASSERT_EQ(get(target).status, 200);
  ASSERT_EQ(get(target).header("X-Cache"), "HIT");
  ASSERT_EQ(get("/catalog/products?category=" + category_).status, 200);

  stack_->sql("UPDATE products SET list_price = 111.11 WHERE sku = $1", pg::params(prefix_ + "A"));
  const auto committed = Clock::now();
  std::string price;
  testing::wait_until(
      [&] {
        price = std::string(body_of(get(target)).at("list_price").as_string());
        return price == "111.11";
      },
      1s, 20ms);
  EXPECT_EQ(price, "111.11");
  EXPECT_LT(Clock::now() - committed, 1s);
  // The list follows too, and a product taken out of the shop leaves it.
  EXPECT_EQ(listed(body_of(get("/catalog/products?category=" + category_))).front(),
            prefix_ + "A=111.11");
  stack_->sql("UPDATE products SET list_price = NULL WHERE sku = $1", pg::params(prefix_ + "A"));
  int status = 200;
  testing::wait_until(
      [&] {
        status = get(target).status;
        return status == 404;
      },
      1s, 20ms);
  EXPECT_EQ(status, 404);
}

TEST_F(ShopApi, RedisDownCatalogStillAnswered) {
  testing::RedisOutage outage;
  ASSERT_TRUE(outage.stopped());
  ASSERT_TRUE(stack_->wait_for([&] { return !stack_->redis().connected(); }, 5s));
  auto a = get("/catalog/products?category=" + category_);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.header("X-Cache"), "BYPASS");
  EXPECT_EQ(body_of(a).at("total").as_int64(), 3);
  auto item = get("/catalog/products/" + prefix_ + "C");
  ASSERT_EQ(item.status, 200);
  EXPECT_EQ(item.header("X-Cache"), "BYPASS");
}

}  // namespace
}  // namespace shopfloor::shop
