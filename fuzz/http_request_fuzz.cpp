// Fuzz target: bytes a client sends → the server's parser with its limits
// (parse_request) → route_request on the routes of the MES, Pricing and Shop APIs,
// request after request as on a keep-alive connection.
//
// Invariants: nothing throws; a complete request is self-delimiting (parsing exactly
// its bytes gives the same request, any strict prefix of them is incomplete); its body
// is within body_limit; header names are lower-case; a rejection maps to 400/413; a
// routed request has a handler, a pattern and one non-empty value per parameter; a
// request not routed is answered 400, 404 or 405 (405 with Allow); HEAD is routed
// wherever GET is; an order number path parameter has one spelling.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "http/error_response.hpp"
#include "http/request_parse.hpp"
#include "mes/order_input.hpp"

namespace {

using namespace shopfloor::http;

// Never called: routing only needs a handler to exist. (Not a coroutine: clang 14 fails
// on coroutines under -fsanitize=fuzzer, "Cannot represent a difference across sections".)
asio::awaitable<Response> no_handler(const Request&, const PathParams&) {
  std::abort();
}

struct Service {
  Router router;
  std::vector<std::string> patterns;
  void add(Method m, std::string pattern) {
    patterns.push_back(pattern);
    router.add(m, std::move(pattern), no_handler);
  }
};

// The routes the services register (src/*/service.cpp, auth/tokens.cpp, app/, the
// console's static files).
struct Services {
  Service mes, pricing, shop;
  Services() {
    for (Service* s : {&mes, &pricing, &shop}) {
      s->add(Method::get, "/health");
      s->add(Method::get, "/metrics");
    }
    for (const char* file : {"/", "/index.html", "/app.js", "/app.css", "/views/orders.js",
                             "/i18n/en.json", "/favicon.svg"}) {
      mes.add(Method::get, file);
    }
    mes.add(Method::get, "/openapi.yaml");
    mes.add(Method::get, "/orders");
    mes.add(Method::post, "/orders");
    mes.add(Method::get, "/orders/{number}");
    mes.add(Method::post, "/orders/{number}/status");
    mes.add(Method::get, "/dashboard");
    mes.add(Method::get, "/events");
    mes.add(Method::get, "/tokens");
    mes.add(Method::post, "/tokens");
    mes.add(Method::delete_, "/tokens/{name}");
    pricing.add(Method::get, "/openapi.yaml");
    pricing.add(Method::post, "/calculations");
    pricing.add(Method::get, "/products");
    pricing.add(Method::get, "/materials");
    pricing.add(Method::put, "/materials/{code}");
    pricing.add(Method::get, "/tariffs");
    pricing.add(Method::put, "/tariffs/{work_center}");
    shop.add(Method::get, "/catalog/products");
    shop.add(Method::get, "/catalog/products/{sku}");
  }
};

const Services& services() {
  static const Services s;
  return s;
}

bool same_request(const Request& a, const Request& b) {
  return a.method == b.method && a.target == b.target && a.headers == b.headers && a.body == b.body;
}

void check_routing(const Service& service, const Request& parsed) {
  Request r = parsed;
  const RoutedRequest routed = route_request(service.router, r);
  if (routed.answer) {
    const unsigned st = routed.answer->status;
    FUZZ_CHECK(st == 400 || st == 404 || st == 405, "unrouted request answered " + r.target);
    FUZZ_CHECK(!routed.answer->body.empty() && routed.answer->body.front() == '{',
               "error answer is not a JSON envelope");
    if (st == 405) {
      FUZZ_CHECK(routed.match.outcome == RouteMatch::Outcome::method_not_allowed, "405 outcome");
      FUZZ_CHECK(!routed.match.allow.empty() && routed.answer->header("Allow"), "405 Allow");
    }
    FUZZ_CHECK(routed.match.handler == nullptr, "handler on an unrouted request");
    return;
  }
  const RouteMatch& m = routed.match;
  FUZZ_CHECK(m.outcome == RouteMatch::Outcome::found && m.handler != nullptr, "no handler");
  bool known = false;
  for (const auto& p : service.patterns) known = known || p == m.route;
  FUZZ_CHECK(known, "route is not a registered pattern");
  std::size_t braces = 0;
  for (const char c : m.route) braces += c == '{' ? 1 : 0;
  FUZZ_CHECK(m.params.size() == braces, "one value per parameter");
  for (const auto& [name, value] : m.params) {
    FUZZ_CHECK(!value.empty(), "empty parameter");
    if (name != "number") continue;
    // The MES reads {number} with parse_order_number: one spelling per order.
    if (const auto id = shopfloor::mes::parse_order_number(value)) {
      FUZZ_CHECK(*id >= 1 && shopfloor::mes::format_order_number(*id) == value, "order number");
    }
  }
  FUZZ_CHECK(!r.path.empty() && r.path.front() == '/', "decoded path starts with /");
  FUZZ_CHECK(r.target.front() == '/', "routed target is origin-form");
  if (r.method == Method::get) {
    Request head = parsed;
    head.method = Method::head;
    const RoutedRequest h = route_request(service.router, head);
    FUZZ_CHECK(!h.answer && h.match.route == m.route, "HEAD routes like GET");
  }
}

void check_stream(std::string_view bytes, const RequestLimits& limits) {
  for (int i = 0; i < 8 && !bytes.empty(); ++i) {
    const ParsedRequest p = parse_request(bytes, limits);
    FUZZ_CHECK(p.version == 10 || p.version == 11, "version");
    if (p.outcome == ParseOutcome::incomplete) return;
    if (p.outcome != ParseOutcome::complete) {
      const unsigned st = error_response(rejection_problem(p.outcome, limits)).status;
      FUZZ_CHECK(st == (p.outcome == ParseOutcome::body_too_large ? 413u : 400u), "rejection");
      return;
    }
    FUZZ_CHECK(p.consumed > 0 && p.consumed <= bytes.size(), "consumed");
    FUZZ_CHECK(p.request.body.size() <= limits.body_limit, "body over body_limit");
    for (const auto& [name, value] : p.request.headers) {
      for (const char c : name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "header name lower-case");
    }
    const std::string_view own = bytes.substr(0, p.consumed);
    const ParsedRequest again = parse_request(own, limits);
    FUZZ_CHECK(again.outcome == ParseOutcome::complete && again.consumed == p.consumed &&
                   same_request(again.request, p.request),
               "a request is self-delimiting");
    const ParsedRequest prefix = parse_request(own.substr(0, own.size() - 1), limits);
    FUZZ_CHECK(prefix.outcome == ParseOutcome::incomplete, "a strict prefix is incomplete");

    const Services& s = services();
    for (const Service* service : {&s.mes, &s.pricing, &s.shop}) check_routing(*service, p.request);
    if (!p.keep_alive) return;
    bytes.remove_prefix(p.consumed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_stream(bytes, RequestLimits{});  // the server's defaults
  check_stream(bytes, RequestLimits{.header_limit = 256, .body_limit = 64});
  return 0;
}
