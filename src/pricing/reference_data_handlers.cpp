// GET/PUT /materials and /tariffs: the reference data behind every calculation.
//
// Reads (partner or admin): partners see the prices their calculations are built
// from and the codes they may use in material_overrides; nothing here is secret from
// a partner that the breakdown does not already reveal. Writes: admin only.
//
// A write commits the new price (and, through the trigger, a new price_list_version),
// then retires the "calc" namespace, and only then answers: once a client has the
// 200, no cached calculation older than the write is served (contract,
// "Consistency"). Other processes learn of it from sf_pricing_changed.
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "auth/authenticator.hpp"
#include "http/error_response.hpp"
#include "http/json_body.hpp"
#include "pg/write_fence.hpp"
#include "pricing/price_update.hpp"
#include "pricing/repository.hpp"
#include "pricing/service_context.hpp"

namespace shopfloor::pricing::detail {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxCodeBytes = 128;

json::object material_json(const MaterialRecord& m) {
  return json::object{{"code", m.code},    {"name", m.name},
                      {"unit", m.unit},    {"price", m.price.to_string()},
                      {"currency", "RUB"}, {"updated_at", m.updated_at}};
}

json::object tariff_json(const TariffRecord& t) {
  return json::object{{"work_center", t.work_center},
                      {"name", t.name},
                      {"hourly_rate", t.hourly_rate.to_string()},
                      {"currency", "RUB"}};
}

template <class Record, class ToJson>
http::Response list_answer(const Versioned<std::vector<Record>>& list, ToJson to_json) {
  json::array items;
  items.reserve(list.value.size());
  for (const Record& r : list.value) items.push_back(to_json(r));
  return http::Response::json(
      200, json::serialize(json::object{{"items", std::move(items)},
                                        {"price_list_version", list.price_list_version}}));
}

template <class Record, class ToJson>
http::Response record_answer(const Versioned<Record>& change, ToJson to_json) {
  json::object out = to_json(change.value);
  out["price_list_version"] = change.price_list_version;
  return http::Response::json(200, json::serialize(out));
}

// Whether a failed write may nevertheless have committed (the connection broke or
// timed out around COMMIT): then retire anyway, retiring too much is harmless.
bool maybe_committed(const Problem& p) {
  return p.kind != ProblemKind::bad_input && p.kind != ProblemKind::not_found;
}

// The shared shape of PUT /materials/{code} and PUT /tariffs/{work_center}.
template <class Record, class Write, class ToJson>
asio::awaitable<http::Response> price_put(Context& ctx, const http::Request& req,
                                          std::string_view code, PriceField field, Problem unknown,
                                          metrics::Counter& updates, Write write, ToJson to_json) {
  auto who = co_await ctx.deps.auth.require(req, auth::roles(auth::Role::admin));
  if (!who) co_return http::error_response(who.error());
  auto body = http::parse_json_object(req);
  if (!body) co_return http::error_response(body.error());
  auto amount = parse_price_update(*body, field);
  if (!amount) co_return http::error_response(amount.error());
  // Codes are never longer; refusing here keeps long junk out of SQL and logs.
  if (code.empty() || code.size() > kMaxCodeBytes) {
    co_return http::error_response(unknown);
  }

  Result<Versioned<Record>> change = co_await write(ctx.deps.db, std::string(code), *amount);
  if (change || maybe_committed(change.error())) {
    // Not delivered: wait until every process's change feed has the price change.
    const bool delivered = co_await ctx.calculations.retire_namespace(kCalculationNamespace);
    if (!delivered) co_await pg::fence(ctx.deps.db);
  }
  if (!change) co_return http::error_response(change.error());
  updates.inc();
  spdlog::info("pricing_reference_update by={} {}={} price_list_version={} request_id={}",
               who->name, field.name, amount->to_string(), change->price_list_version,
               req.request_id);
  co_return record_answer(*change, to_json);
}

}  // namespace

asio::awaitable<http::Response> materials_get(Context& ctx, const http::Request& req) {
  auto who =
      co_await ctx.deps.auth.require(req, auth::roles(auth::Role::admin, auth::Role::partner));
  if (!who) co_return http::error_response(who.error());
  auto list = co_await list_materials(ctx.deps.db);
  if (!list) co_return http::error_response(list.error());
  co_return list_answer(*list, material_json);
}

asio::awaitable<http::Response> tariffs_get(Context& ctx, const http::Request& req) {
  auto who =
      co_await ctx.deps.auth.require(req, auth::roles(auth::Role::admin, auth::Role::partner));
  if (!who) co_return http::error_response(who.error());
  auto list = co_await list_tariffs(ctx.deps.db);
  if (!list) co_return http::error_response(list.error());
  co_return list_answer(*list, tariff_json);
}

asio::awaitable<http::Response> material_put(Context& ctx, const http::Request& req,
                                             const http::PathParams& params) {
  Problem unknown{ProblemKind::not_found, "unknown_material", "no material with this code"};
  PriceField field{"price", Money::from_kopecks(1)};  // materials.price > 0
  co_return co_await price_put<MaterialRecord>(ctx, req, params.get("code"), field,
                                               std::move(unknown), ctx.stats.material_updates,
                                               set_material_price, material_json);
}

asio::awaitable<http::Response> tariff_put(Context& ctx, const http::Request& req,
                                           const http::PathParams& params) {
  Problem unknown{ProblemKind::not_found, "unknown_work_center", "no work centre with this code"};
  PriceField field{"hourly_rate", Money()};  // 0 = not priced yet, as the schema allows
  co_return co_await price_put<TariffRecord>(ctx, req, params.get("work_center"), field,
                                             std::move(unknown), ctx.stats.tariff_updates,
                                             set_hourly_rate, tariff_json);
}

}  // namespace shopfloor::pricing::detail
