// StaticFiles: loading a folder, conditional and compressed answers, security headers.
#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "http/gzip.hpp"

namespace shopfloor::http {
namespace {

namespace fs = std::filesystem;

std::string inflated(const std::string& z) {
  auto out = gunzip(z, 1 << 20);
  EXPECT_TRUE(out.has_value());
  return out.value_or("");
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("sf-static-" + std::to_string(std::random_device{}()));
    fs::create_directories(root_ / "views");
    write("index.html", "<!doctype html><title>x</title>");
    std::string js;
    for (int i = 0; i < 200; ++i) js += "export const a" + std::to_string(i) + " = 1;\n";
    write("views/orders.js", js);
    write(".secret", "no");
    files_ = StaticFiles::load(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name, std::ios::binary) << text;
  }
  static Request get(std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request r;
    r.headers = std::move(headers);
    return r;
  }

  fs::path root_;
  std::shared_ptr<const StaticFiles> files_;
};

TEST_F(StaticFilesTest, LoadsFilesByUrlPathSkippingDotFiles) {
  EXPECT_EQ(files_->size(), 2u);
  ASSERT_NE(files_->find("/views/orders.js"), nullptr);
  EXPECT_EQ(files_->find("/views/orders.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(files_->find("/index.html")->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(files_->find("/.secret"), nullptr);
  EXPECT_EQ(StaticFiles::load(root_ / "missing")->size(), 0u);
}

TEST_F(StaticFilesTest, GzipWhenAcceptedAndSmaller) {
  const StaticFile& js = *files_->find("/views/orders.js");
  ASSERT_FALSE(js.gzip.empty());
  Response plain = files_->answer(js, get());
  EXPECT_EQ(plain.body, js.body);
  EXPECT_FALSE(plain.header("Content-Encoding"));
  Response z = files_->answer(js, get({{"accept-encoding", "gzip, deflate, br"}}));
  EXPECT_EQ(z.header("Content-Encoding"), "gzip");
  EXPECT_EQ(inflated(z.body), js.body);
  EXPECT_EQ(z.header("Vary"), "Accept-Encoding");
  Response refused = files_->answer(js, get({{"accept-encoding", "gzip;q=0"}}));
  EXPECT_FALSE(refused.header("Content-Encoding"));
  // Too small to gain: sent as is.
  EXPECT_TRUE(files_->find("/index.html")->gzip.empty());
}

TEST_F(StaticFilesTest, EtagRevalidationGives304) {
  const StaticFile& f = *files_->find("/index.html");
  Response first = files_->answer(f, get());
  ASSERT_TRUE(first.header("ETag"));
  EXPECT_EQ(first.header("Cache-Control"), "no-cache");
  const std::string etag(*first.header("ETag"));
  EXPECT_EQ(files_->answer(f, get({{"if-none-match", etag}})).status, 304u);
  EXPECT_EQ(files_->answer(f, get({{"if-none-match", "\"other\", W/" + etag}})).status, 304u);
  EXPECT_EQ(files_->answer(f, get({{"if-none-match", "\"other\""}})).status, 200u);
  EXPECT_NE(files_->find("/views/orders.js")->etag, etag);
}

TEST_F(StaticFilesTest, EveryAnswerCarriesTheSecurityHeaders) {
  Response r = files_->answer(*files_->find("/index.html"), get());
  const auto csp = r.header("Content-Security-Policy");
  ASSERT_TRUE(csp);
  EXPECT_NE(csp->find("script-src 'self'"), std::string_view::npos);
  EXPECT_EQ(csp->find("unsafe"), std::string_view::npos);
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
}

TEST_F(StaticFilesTest, RoutesForEveryFileAndTheRoot) {
  Router router;
  add_static_routes(router, files_);
  EXPECT_EQ(router.match(Method::get, "/").outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(router.match(Method::get, "/views/orders.js").outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(router.match(Method::get, "/views/other.js").outcome, RouteMatch::Outcome::not_found);
  EXPECT_EQ(router.match(Method::post, "/").outcome, RouteMatch::Outcome::method_not_allowed);
}

}  // namespace
}  // namespace shopfloor::http
