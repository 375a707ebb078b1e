// `shopfloor admin tokens list|create|revoke`: auth's token operations (auth/tokens.hpp),
// the ones behind GET/POST/DELETE /tokens, run from the command line.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>

#include "app/admin.hpp"
#include "app/admin_context.hpp"
#include "auth/tokens.hpp"
#include "pg/change_feed.hpp"

namespace shopfloor::app::admin_detail {
namespace {

asio::awaitable<int> list(AdminContext& ctx) {
  auto tokens = co_await auth::list_tokens(ctx.auth);
  if (!tokens) {
    problem("tokens: " + tokens.error().message);
    co_return 1;
  }
  std::printf("%-24s %-9s %-21s %s\n", "name", "role", "created_at", "revoked_at");
  for (const auto& t : *tokens) {
    std::printf("%-24s %-9s %-21s %s\n", t.name.c_str(), t.role.c_str(), t.created_at.c_str(),
                t.revoked_at ? t.revoked_at->c_str() : "-");
  }
  co_return 0;
}

asio::awaitable<int> create(AdminContext& ctx, std::string name, auth::Role role) {
  // The cache is asked too (a refusal of this secret may be cached); when it is down the
  // issue still succeeds, as on POST /tokens.
  co_await ctx.connect_redis();
  auto issued = co_await auth::issue_token(ctx.auth, std::move(name), role);
  if (!issued) {
    problem("tokens: " + issued.error().message);
    co_return 1;
  }
  // The secret alone on stdout, so a script can take it: `$(shopfloor admin tokens create ...)`.
  std::printf("%s\n", issued->secret.c_str());
  std::fprintf(stderr, "token %s (role %s) created; the secret above is shown only once\n",
               issued->name.c_str(), std::string(auth::to_string(issued->role)).c_str());
  co_return 0;
}

asio::awaitable<int> revoke(AdminContext& ctx, std::string name) {
  // revoke_token falls back to the write fence when the cache does not take the
  // retirement: the fence waits for this process's own LISTEN connection to receive its
  // notification, so one must be listening before the revocation commits.
  pg::ChangeFeedListener listener(ctx.ioc.get_executor(), ctx.config.db, {});
  listener.start();
  co_await ctx.connect_redis();
  asio::steady_timer timer(ctx.ioc);
  const auto deadline =
      std::chrono::steady_clock::now() + ctx.config.db.connect_timeout + std::chrono::seconds(1);
  while (!listener.listening() && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (!listener.listening()) {
    listener.stop();
    problem("tokens: cannot LISTEN on PostgreSQL (needed for the write fence); nothing revoked");
    co_return 1;
  }
  auto revoked = co_await auth::revoke_token(ctx.auth, name);
  listener.stop();
  if (!revoked) {
    problem("tokens: " + revoked.error().message);
    co_return 1;
  }
  std::printf("token %s revoked\n", name.c_str());
  co_return 0;
}

}  // namespace

int tokens_command(AdminContext& ctx, const std::vector<std::string>& args) {
  const std::string what = args.empty() ? "" : args[0];
  if (what == "list" && args.size() == 1) return ctx.run(list(ctx));
  if (what == "create" && args.size() == 3) {
    auto role = auth::parse_role(args[2]);
    if (!role) {
      problem("tokens: role must be one of: admin, operator, partner");
      return 2;
    }
    return ctx.run(create(ctx, args[1], *role));
  }
  if (what == "revoke" && args.size() == 2) return ctx.run(revoke(ctx, args[1]));
  std::fputs(admin_usage(), stderr);
  return 2;
}

}  // namespace shopfloor::app::admin_detail
