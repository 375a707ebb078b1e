// The Pricing API in process on the real PostgreSQL and Redis (TLS, ACL): HTTP in,
// cache and database behind. Each test builds its own shard (unique cache prefix) and
// its own reference rows (TST-<id>-...), removed afterwards, so the suite can run
// repeatedly and beside other suites; shared rows are never changed.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <optional>

#include "metrics/registry.hpp"
#include "pricing/money.hpp"
#include "testing/json_answer.hpp"
#include "testing/outages.hpp"
#include "testing/run.hpp"
#include "testing/service_stack.hpp"
#include "testing/stack_test.hpp"

namespace shopfloor::pricing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::body_of;
using testing::Clock;
using testing::error_code;
using testing::HttpAnswer;

std::string str(const json::object& o, std::string_view field) {
  const json::value* v = o.if_contains(field);
  return v && v->is_string() ? std::string(v->as_string())
                             : std::string("<missing " + std::string(field) + ">");
}

std::string breakdown(const json::object& calc, std::string_view figure) {
  const json::value* b = calc.if_contains("breakdown");
  if (!b || !b->is_object()) return "<no breakdown>";
  return str(b->as_object(), figure);
}

long long version_of(const json::object& o) {
  const json::value* v = o.if_contains("price_list_version");
  return v && v->is_int64() ? v->as_int64() : -1;
}

// Kopecks of a contract money string ("2000.00").
long long kopecks(const std::string& money) {
  auto m = Money::parse(money);
  EXPECT_TRUE(m) << money;
  return m ? m->kopecks() : -1;
}

class PricingApi : public testing::StackTest {
 protected:
  void SetUp() override {
    StackTest::SetUp();
    if (HasFatalFailure()) return;
    const std::string p = "TST-" + stack_->id();
    product_ = p + "-P";
    steel_ = p + "-STEEL";
    steel_b_ = p + "-STEEL-B";
    bolt_ = p + "-BOLT";
    center_ = p + "-WC";
    on_teardown([this] {
      stack_->sql("DELETE FROM products WHERE sku = $1", pg::params(product_));  // cascades
      stack_->sql("DELETE FROM materials WHERE code IN ($1, $2, $3)",
                  pg::params(steel_, steel_b_, bolt_));
      stack_->sql("DELETE FROM work_centers WHERE code = $1", pg::params(center_));
    });
    // 10 units: materials 10 x 2 kg x 100.00 = 2000.00; machine 10 x 1 min x 600.00/60
    // = 100.00; setup 10 min x 600.00/60 = 100.00.
    stack_->sql(
        "INSERT INTO materials (code, name, unit, price) VALUES "
        "($1, 'Test steel', 'kg', 100.00), ($2, 'Test steel B', 'kg', 130.00), "
        "($3, 'Test bolt', 'pcs', 1.00)",
        pg::params(steel_, steel_b_, bolt_));
    stack_->sql(
        "INSERT INTO work_centers (code, name, hourly_rate) VALUES ($1, 'Test centre', 600.00)",
        pg::params(center_));
    stack_->sql("INSERT INTO products (sku, name, category) VALUES ($1, 'Test product', 'test')",
                pg::params(product_));
    stack_->sql(
        "INSERT INTO bom_lines (product_sku, line_no, material_code, quantity, scrap_pct) "
        "VALUES ($1, 1, $2, 2, 0)",
        pg::params(product_, steel_));
    stack_->sql(
        "INSERT INTO routing_operations (product_sku, seq, work_center, setup_minutes, "
        "run_minutes_per_unit) VALUES ($1, 1, $2, 10, 1)",
        pg::params(product_, center_));
    stack_->settle_notifications();  // our inserts' retirements are done before the test
  }

  std::string calc_body(long long quantity, const std::string& extra = "") const {
    return R"({"product_sku":")" + product_ + R"(","quantity":)" + std::to_string(quantity) +
           extra + "}";
  }

  HttpAnswer post_calc(const std::string& body,
                       const std::optional<std::string>& token = std::nullopt) {
    return pricing().request("POST", "/calculations", body, token);
  }

  testing::ServiceStack::Api pricing() { return stack_->api("pricing"); }

  long long db_version() {
    return stack_->sql("SELECT version FROM price_list_version").int64(0, 0);
  }

  std::string product_, steel_, steel_b_, bolt_, center_;
};

TEST_F(PricingApi, EquivalentRequestsShareOneCacheEntry) {
  auto first = post_calc(calc_body(10));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.header("X-Cache"), "MISS");
  json::object calc = body_of(first);
  EXPECT_EQ(str(calc, "product_sku"), product_);
  EXPECT_EQ(calc.at("quantity").as_int64(), 10);
  EXPECT_EQ(str(calc, "currency"), "RUB");
  EXPECT_EQ(breakdown(calc, "materials"), "2000.00");
  EXPECT_EQ(breakdown(calc, "machine"), "100.00");
  EXPECT_EQ(breakdown(calc, "setup"), "100.00");
  // total = materials + machine + setup + overhead + margin - discount, to the kopeck.
  long long sum = 0;
  for (const char* f : {"materials", "machine", "setup", "overhead", "margin"})
    sum += kopecks(breakdown(calc, f));
  EXPECT_EQ(kopecks(str(calc, "total_cost")), sum - kopecks(breakdown(calc, "discount")));
  EXPECT_GT(version_of(calc), 0);
  EXPECT_EQ(str(calc, "calculated_at").size(), 20u) << str(calc, "calculated_at");

  // Key order, white space and a spelled-out empty override map: the same entry.
  const std::string same =
      "{ \"quantity\" : 10,\n  \"material_overrides\" : { },\t\"product_sku\" : \"" + product_ +
      "\" }";
  auto second = post_calc(same);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.header("X-Cache"), "HIT");
  EXPECT_EQ(second.body, first.body);  // the stored answer, calculated_at included

  auto other = post_calc(calc_body(11));
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.header("X-Cache"), "MISS");
  EXPECT_EQ(breakdown(body_of(other), "materials"), "2200.00");

  // Overrides: same map in another order → same entry; priced with the target.
  auto o1 = post_calc(calc_body(10, R"(,"material_overrides":{")" + steel_ + R"(":")" + steel_b_ +
                                        R"(",")" + bolt_ + R"(":")" + bolt_ + R"("})"));
  ASSERT_EQ(o1.status, 200) << o1.body;
  EXPECT_EQ(o1.header("X-Cache"), "MISS");
  EXPECT_EQ(breakdown(body_of(o1), "materials"), "2600.00");
  auto o2 =
      post_calc(R"({"material_overrides":{")" + bolt_ + R"(":")" + bolt_ + R"(",")" + steel_ +
                R"(":")" + steel_b_ + R"("},"quantity":10,"product_sku":")" + product_ + R"("})");
  ASSERT_EQ(o2.status, 200) << o2.body;
  EXPECT_EQ(o2.header("X-Cache"), "HIT");
}

TEST_F(PricingApi, MaterialWriteRetiresCalculationsBeforeItAnswers) {
  auto before = post_calc(calc_body(10));
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_EQ(post_calc(calc_body(10)).header("X-Cache"), "HIT");
  const json::object old_calc = body_of(before);

  auto put = pricing().request("PUT", "/materials/" + steel_, R"({"price":"150.00"})");
  ASSERT_EQ(put.status, 200) << put.body;
  json::object record = body_of(put);
  EXPECT_EQ(str(record, "code"), steel_);
  EXPECT_EQ(str(record, "price"), "150.00");
  EXPECT_EQ(str(record, "unit"), "kg");
  EXPECT_GT(version_of(record), version_of(old_calc));

  // Straight after the 200: never the cached answer from before the write.
  auto after = post_calc(calc_body(10));
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.header("X-Cache"), "MISS");
  json::object new_calc = body_of(after);
  EXPECT_EQ(breakdown(new_calc, "materials"), "3000.00");  // 20 kg x 150.00
  EXPECT_GT(kopecks(str(new_calc, "total_cost")), kopecks(str(old_calc, "total_cost")));
  EXPECT_GE(version_of(new_calc), version_of(record));

  // The list shows it too.
  auto list = pricing().request("GET", "/materials");
  ASSERT_EQ(list.status, 200) << list.body;
  bool seen = false;
  const json::object materials = body_of(list);
  for (const auto& item : materials.at("items").as_array()) {
    if (str(item.as_object(), "code") == steel_) seen = str(item.as_object(), "price") == "150.00";
  }
  EXPECT_TRUE(seen);
  EXPECT_GE(version_of(body_of(list)), version_of(record));

  // A cheaper price moves the total down again.
  ASSERT_EQ(pricing().request("PUT", "/materials/" + steel_, R"({"price":"50"})").status, 200);
  auto cheaper = post_calc(calc_body(10));
  EXPECT_EQ(cheaper.header("X-Cache"), "MISS");
  EXPECT_EQ(breakdown(body_of(cheaper), "materials"), "1000.00");
  EXPECT_LT(kopecks(str(body_of(cheaper), "total_cost")), kopecks(str(old_calc, "total_cost")));
}

TEST_F(PricingApi, TariffWriteRetiresCalculationsBeforeItAnswers) {
  auto before = post_calc(calc_body(10));
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_EQ(post_calc(calc_body(10)).header("X-Cache"), "HIT");

  auto put = pricing().request("PUT", "/tariffs/" + center_, R"({"hourly_rate":"1200.00"})");
  ASSERT_EQ(put.status, 200) << put.body;
  json::object record = body_of(put);
  EXPECT_EQ(str(record, "work_center"), center_);
  EXPECT_EQ(str(record, "hourly_rate"), "1200.00");
  EXPECT_GT(version_of(record), version_of(body_of(before)));

  auto after = post_calc(calc_body(10));
  EXPECT_EQ(after.header("X-Cache"), "MISS");
  EXPECT_EQ(breakdown(body_of(after), "machine"), "200.00");
  EXPECT_EQ(breakdown(body_of(after), "setup"), "200.00");
  EXPECT_GT(kopecks(str(body_of(after), "total_cost")),
            kopecks(str(body_of(before), "total_cost")));

  auto list = pricing().request("GET", "/tariffs");
  ASSERT_EQ(list.status, 200) << list.body;
  bool seen = false;
  const json::object tariffs = body_of(list);
  for (const auto& item : tariffs.at("items").as_array()) {
    if (str(item.as_object(), "work_center") == center_)
      seen = str(item.as_object(), "hourly_rate") == "1200.00";
  }
  EXPECT_TRUE(seen);
}

TEST_F(PricingApi, DirectDatabaseChangeIsSeenWithinOneSecond) {
  auto before = post_calc(calc_body(10));
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_EQ(post_calc(calc_body(10)).header("X-Cache"), "HIT");

  // Another system changes the price behind the service's back.
  stack_->sql("UPDATE materials SET price = 120.00 WHERE code = $1", pg::params(steel_));
  const auto committed = Clock::now();
  std::string materials;
  std::optional<std::string> cache_state;
  testing::wait_until(
      [&] {
        auto a = post_calc(calc_body(10));
        EXPECT_EQ(a.status, 200) << a.body;
        materials = breakdown(body_of(a), "materials");
        cache_state = a.header("X-Cache");
        return materials == "2400.00";
      },
      1s, 20ms);
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - committed);
  EXPECT_EQ(materials, "2400.00") << "still the old price after " << waited.count() << " ms";
  EXPECT_LT(waited, 1000ms);
  EXPECT_EQ(cache_state, "MISS");
}

TEST_F(PricingApi, UnknownProductOrMaterialIs404) {
  auto a = post_calc(R"({"product_sku":"NO-SUCH-PRODUCT-)" + stack_->id() + R"(","quantity":1})");
  EXPECT_EQ(a.status, 404) << a.body;
  EXPECT_EQ(error_code(a), "unknown_product");

  a = post_calc(calc_body(1, R"(,"material_overrides":{")" + steel_ + R"(":"NO-SUCH-MATERIAL"})"));
  EXPECT_EQ(a.status, 404) << a.body;
  EXPECT_EQ(error_code(a), "unknown_material");

  // Even with the plain request cached, an identity override of an unknown material
  // is refused (it has its own cache key).
  ASSERT_EQ(post_calc(calc_body(1)).status, 200);
  a = post_calc(calc_body(1, R"(,"material_overrides":{"NO-SUCH-MATERIAL":"NO-SUCH-MATERIAL"})"));
  EXPECT_EQ(a.status, 404) << a.body;

  // Override between different units: 400.
  a = post_calc(calc_body(1, R"(,"material_overrides":{")" + steel_ + R"(":")" + bolt_ + R"("})"));
  EXPECT_EQ(a.status, 400) << a.body;
  EXPECT_EQ(error_code(a), "override_unit_mismatch");

  // A write to an unknown code is a 404 and changes nothing (not even the version).
  const long long version = db_version();
  a = pricing().request("PUT", "/materials/NO-SUCH-MATERIAL-" + stack_->id(),
                        R"({"price":"1.00"})");
  EXPECT_EQ(a.status, 404) << a.body;
  EXPECT_EQ(error_code(a), "unknown_material");
  a = pricing().request("PUT", "/tariffs/NO-SUCH-WC-" + stack_->id(), R"({"hourly_rate":"1.00"})");
  EXPECT_EQ(a.status, 404) << a.body;
  EXPECT_EQ(error_code(a), "unknown_work_center");
  EXPECT_EQ(db_version(), version);
}

TEST_F(PricingApi, BadInputIs400WithTheEnvelope) {
  struct Case {
    std::string body;
    std::string code;
  };
  const std::vector<Case> cases = {
      {calc_body(0), "quantity_out_of_range"},
      {calc_body(-3), "quantity_out_of_range"},
      {calc_body(1'000'001), "quantity_out_of_range"},
      {R"({"product_sku":")" + product_ + R"(","quantity":"10"})", "invalid_quantity"},
      {R"({"product_sku":")" + product_ + R"(","quantity":1.5})", "invalid_quantity"},
      {R"({"product_sku":")" + product_ + R"("})", "missing_field"},
      {R"({"product_sku":")" + product_ + R"(","quantity":1,"colour":"red"})", "unknown_field"},
      {R"({"product_sku":")" + product_ + R"(","quantity":1,"material_overrides":["x"]})",
       "invalid_material_overrides"},
      {R"({"product_sku":")" + product_ + R"(","quantity":1)", "malformed_json"},
      {R"([1,2])", "expected_object"},
      {"", "malformed_json"},
  };
  for (const Case& c : cases) {
    auto a = post_calc(c.body);
    EXPECT_EQ(a.status, 400) << c.body << " -> " << a.body;
    EXPECT_EQ(error_code(a), c.code) << c.body;
  }
  // The largest quantity is fine.
  EXPECT_EQ(post_calc(calc_body(1'000'000)).status, 200);

  auto wrong_type = testing::send_raw(
      pricing().port(), "POST /calculations HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                            testing::bearer(stack_->admin_token()) +
                            "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 415) << wrong_type->head;

  const long long version = db_version();
  for (const char* bad : {R"({"price":812.40})", R"({"price":"-1"})", R"({"price":"0"})",
                          R"({"price":"1.234"})", R"({"cost":"1.00"})", R"({})", "nope"}) {
    auto a = pricing().request("PUT", "/materials/" + steel_, bad);
    EXPECT_EQ(a.status, 400) << bad << " -> " << a.body;
    EXPECT_NE(error_code(a), "") << bad;
  }
  auto a = pricing().request("PUT", "/tariffs/" + center_, R"({"hourly_rate":"abc"})");
  EXPECT_EQ(a.status, 400) << a.body;
  EXPECT_EQ(error_code(a), "invalid_money");
  EXPECT_EQ(db_version(), version);  // bad input never changes data
  EXPECT_EQ(
      stack_->sql("SELECT price FROM materials WHERE code = $1", pg::params(steel_)).text(0, 0),
      "100.00");
}

TEST_F(PricingApi, RolesAndTokens) {
  auto partner = stack_->partner_token();

  // No token / a wrong token: 401 everywhere.
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/calculations"},
                                                        {"GET", "/products"},
                                                        {"GET", "/materials"},
                                                        {"GET", "/tariffs"},
                                                        {"PUT", "/materials/" + steel_}}) {
    auto a = pricing().request(method, target, method == "GET" ? "" : calc_body(1), "");
    EXPECT_EQ(a.status, 401) << method << " " << target;
    EXPECT_EQ(error_code(a), "unauthorized");
    a = pricing().request(method, target, method == "GET" ? "" : calc_body(1), "sft_not_a_token");
    EXPECT_EQ(a.status, 401) << method << " " << target;
  }

  // A partner calculates, lists products and reads reference data...
  auto calc = post_calc(calc_body(3), partner->secret);
  EXPECT_EQ(calc.status, 200) << calc.body;
  EXPECT_EQ(pricing().request("GET", "/products", "", partner->secret).status, 200);
  EXPECT_EQ(pricing().request("GET", "/materials", "", partner->secret).status, 200);
  EXPECT_EQ(pricing().request("GET", "/tariffs", "", partner->secret).status, 200);
  // ...but may not write it.
  auto put =
      pricing().request("PUT", "/materials/" + steel_, R"({"price":"1.00"})", partner->secret);
  EXPECT_EQ(put.status, 403) << put.body;
  put =
      pricing().request("PUT", "/tariffs/" + center_, R"({"hourly_rate":"1.00"})", partner->secret);
  EXPECT_EQ(put.status, 403) << put.body;
  EXPECT_EQ(
      stack_->sql("SELECT price FROM materials WHERE code = $1", pg::params(steel_)).text(0, 0),
      "100.00");

  // Counted per partner by name; the secret appears nowhere in the metrics.
  EXPECT_EQ(post_calc(calc_body(0), partner->secret).status, 400);
  const std::string metrics = metrics::default_registry().render();
  EXPECT_NE(metrics.find("shopfloor_pricing_calculations_total{partner=\"" + partner->name +
                         "\",result=\"ok\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("shopfloor_pricing_calculations_total{partner=\"" + partner->name +
                         "\",result=\"bad_input\"} 1"),
            std::string::npos);
  EXPECT_EQ(metrics.find(partner->secret), std::string::npos);
}

TEST_F(PricingApi, RedisDownCalculationsStillAnswered) {
  ASSERT_EQ(post_calc(calc_body(10)).status, 200);
  {
    testing::RedisOutage outage;
    ASSERT_TRUE(outage.stopped()) << "$SHOPFLOOR_DEVENV redis-stop failed";
    ASSERT_TRUE(stack_->wait_for([&] { return !stack_->redis().connected(); }, 5s));
    for (int i = 0; i < 3; ++i) {
      const auto started = Clock::now();
      auto a = post_calc(calc_body(10));
      ASSERT_EQ(a.status, 200) << a.body;
      EXPECT_EQ(a.header("X-Cache"), "BYPASS");
      EXPECT_EQ(breakdown(body_of(a), "materials"), "2000.00");
      EXPECT_LT(Clock::now() - started, 2s);  // bounded extra latency
    }
    // Writes still work and take effect at once (nothing cached can be served stale).
    ASSERT_EQ(pricing().request("PUT", "/materials/" + steel_, R"({"price":"110.00"})").status,
              200);
    auto a = post_calc(calc_body(10));
    EXPECT_EQ(a.header("X-Cache"), "BYPASS");
    EXPECT_EQ(breakdown(body_of(a), "materials"), "2200.00");
  }
  // Redis is back: the answers are cached again, and none from before the write.
  ASSERT_TRUE(stack_->wait_for([&] { return stack_->redis().connected(); }, 10s));
  std::optional<std::string> state;
  testing::wait_until(
      [&] {
        auto a = post_calc(calc_body(10));
        EXPECT_EQ(a.status, 200);
        state = a.header("X-Cache");
        EXPECT_EQ(breakdown(body_of(a), "materials"), "2200.00");
        return state == "HIT";
      },
      15s, 100ms);
  EXPECT_EQ(state, "HIT");
}

TEST_F(PricingApi, ProductsListIsCachedAndFollowsTheTable) {
  auto first = pricing().request("GET", "/products");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.header("X-Cache"), "MISS");
  auto second = pricing().request("GET", "/products");
  EXPECT_EQ(second.header("X-Cache"), "HIT");
  EXPECT_EQ(second.body, first.body);
  auto find = [&](const HttpAnswer& a) -> std::string {
    const json::object list = body_of(a);  // (a temporary would die before the loop)
    for (const auto& item : list.at("items").as_array()) {
      const auto& o = item.as_object();
      if (str(o, "sku") == product_) return str(o, "name") + "|" + str(o, "category");
    }
    return "<absent>";
  };
  EXPECT_EQ(find(first), "Test product|test");

  stack_->sql("UPDATE products SET name = 'Renamed test product' WHERE sku = $1",
              pg::params(product_));
  std::string seen;
  testing::wait_until(
      [&] {
        seen = find(pricing().request("GET", "/products"));
        return seen == "Renamed test product|test";
      },
      1s, 20ms);
  EXPECT_EQ(seen, "Renamed test product|test");

  auto bad = pricing().request("GET", "/products?page=2");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_code(bad), "unknown_parameter");
}

TEST_F(PricingApi, ServesItsOpenApiDocument) {
  auto a = pricing().request("GET", "/openapi.yaml", "", "");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.header("Content-Type"), "application/yaml");
  EXPECT_EQ(a.body.rfind("openapi: 3.1", 0), 0u) << a.body.substr(0, 80);
  for (const char* path :
       {"/calculations:", "/products:", "/materials/{code}:", "/tariffs/{work_center}:",
        "/catalog/products:", "/catalog/products/{sku}:"}) {
    EXPECT_NE(a.body.find(path), std::string::npos) << path;
  }
}

}  // namespace
}  // namespace shopfloor::pricing
