// GET /orders: the list, cached per normalised query (list_query.hpp, "Cache layout").
//
// Lists filtered by status (or overdue) are cached as their whole body. The others are
// cached as an id page, and their rows come from the per-order "order_row" cache in one
// multi-get; rows missing there are loaded one by one (each an ordinary cached lookup,
// with its lease), concurrently. X-Cache is HIT only when the page and every row were
// hits, BYPASS when the cache could not be read, MISS otherwise.
//
// Freshness of an assembled page: the id page is current for the list's members and
// order (a write that moves orders retires it), and each row is current for its order (a
// write retires the rows it changed) — both as of the moment they were read, after the
// request began. A row that no longer exists (the order was deleted after the page was
// read) means the page is older than that delete: the page is read again from the
// database.
#include "http/cached_response.hpp"
#include "http/error_response.hpp"
#include "mes/context.hpp"
#include "mes/list_query.hpp"
#include "mes/order_input.hpp"

namespace shopfloor::mes::detail {
namespace {

using asio::awaitable;

// HIT only when both parts were; BYPASS when either was.
cache::Source worse(cache::Source a, cache::Source b) {
  auto rank = [](cache::Source s) {
    return s == cache::Source::hit ? 0 : s == cache::Source::miss ? 1 : 2;
  };
  return rank(a) >= rank(b) ? a : b;
}

// A page's rows from the order_row cache, the missing ones loaded (and stored). Empty
// optional from page_rows(): the cache could not be read (the caller reads the whole page
// from the database).
struct Rows {
  std::vector<std::string> rows;
  cache::Source source = cache::Source::hit;
  std::optional<Problem> problem;  // a row could not be read (not_found: order deleted)
};

awaitable<void> load_row(Context& ctx, long long id, std::string& into, Rows& out) {
  Repository& repo = ctx.repo;
  Load load = [&repo, id]() { return repo.order_row(id); };
  auto answer =
      co_await ctx.cached_read(ctx.order_row, kOrderRowNamespace, format_order_number(id), load);
  if (!answer) {
    if (!out.problem) out.problem = answer.error();
    co_return;
  }
  out.source = worse(out.source, answer->source);
  into = std::move(answer->value);
}

awaitable<std::optional<Rows>> page_rows(Context& ctx, const IdPage& page) {
  std::vector<std::string> keys;
  keys.reserve(page.ids.size());
  for (long long id : page.ids) keys.push_back(format_order_number(id));
  auto cached = co_await ctx.order_row.fetch_many(kOrderRowNamespace, std::move(keys));
  if (!cached) co_return std::nullopt;
  Rows out;
  out.rows.resize(page.ids.size());
  std::vector<awaitable<void>> loads;
  for (std::size_t i = 0; i < page.ids.size(); ++i) {
    if ((*cached)[i])
      out.rows[i] = std::move(*(*cached)[i]);
    else
      loads.push_back(load_row(ctx, page.ids[i], out.rows[i], out));
  }
  co_await run_all(std::move(loads));
  co_return out;
}

awaitable<http::Response> from_database(Context& ctx, const ListQuery& q, std::string today,
                                        cache::Source source) {
  auto page = co_await ctx.repo.list(q, std::move(today));
  if (!page) co_return http::error_response(page.error());
  co_return http::cached_response(
      cache::Answer{list_body(page->rows, q.page, q.page_size, page->index.total), source});
}

awaitable<http::Response> id_page_list(Context& ctx, const ListQuery& q, std::string today) {
  Repository& repo = ctx.repo;
  // Set when this request's own loader ran (a miss, or a bypass): the page read from the
  // database in one statement, rows included, as fresh as its ids.
  std::optional<ListPage> loaded;
  Load load = [&repo, &q, &today, &loaded]() -> awaitable<Result<std::string>> {
    auto page = co_await repo.list(q, today);
    if (!page) co_return page.error();
    loaded = std::move(*page);
    co_return encode_id_page(loaded->index);
  };
  auto cached =
      co_await ctx.cached_read(ctx.orders_list, list_namespace(q), list_cache_key(q, today), load);
  if (!cached) co_return http::error_response(cached.error());
  if (loaded) {
    // A miss stored the id page; the next reads of it need the rows too: look them up
    // now (rows read before the lookup began are never stored, so these are loaded by
    // their own leased lookups when missing). The answer is the page as read.
    if (cached->source == cache::Source::miss) co_await page_rows(ctx, loaded->index);
    co_return http::cached_response(cache::Answer{
        list_body(loaded->rows, q.page, q.page_size, loaded->index.total), cached->source});
  }

  auto index = decode_id_page(cached->value);
  if (!index)  // not an id page (a foreign or corrupt entry): the database
    co_return co_await from_database(ctx, q, std::move(today), cache::Source::miss);
  auto rows = co_await page_rows(ctx, *index);
  if (!rows) co_return co_await from_database(ctx, q, std::move(today), cache::Source::bypass);
  if (rows->problem && rows->problem->kind == ProblemKind::not_found)  // deleted meanwhile
    co_return co_await from_database(ctx, q, std::move(today), cache::Source::miss);
  if (rows->problem) co_return http::error_response(*rows->problem);
  co_return http::cached_response(
      cache::Answer{list_body(rows->rows, q.page, q.page_size, index->total),
                    worse(cached->source, rows->source)});
}

}  // namespace

awaitable<http::Response> orders_get(Context& ctx, const http::Request& req) {
  if (auto who = co_await ctx.authorize(req); !who) co_return http::error_response(who.error());
  auto query = parse_list_query(req.query);
  if (!query) co_return http::error_response(query.error());

  std::string today = utc_today();
  if (cached_as_id_page(*query)) co_return co_await id_page_list(ctx, *query, std::move(today));

  std::string ns = list_namespace(*query);
  std::string key = list_cache_key(*query, today);
  Repository& repo = ctx.repo;
  Load load = [&repo, &query, &today]() -> awaitable<Result<std::string>> {
    auto page = co_await repo.list(*query, today);
    if (!page) co_return page.error();
    co_return list_body(page->rows, query->page, query->page_size, page->index.total);
  };
  auto answer = co_await ctx.cached_read(ctx.orders_list, std::move(ns), std::move(key), load);
  co_return http::cached_response(std::move(answer));
}

}  // namespace shopfloor::mes::detail
