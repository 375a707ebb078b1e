// GET throughput of redis::Client (Google Benchmark): value sizes 1 KB and
// 20 KB, 1, 16 or 256 commands in flight from as many coroutines over 1 or 16
// connections, on one io_context thread, as a shard runs it.
//
// The server comes from the same environment as the integration tests
// (SHOPFLOOR_REDIS_HOST, _PORT, _TLS, _CA_FILE, _SERVER_NAME, _USER,
// _PASSWORD_FILE; source .run/env.sh). SHOPFLOOR_BENCH_KEY overrides the key
// read (default sf:bench:get:<bytes>); the benchmark SETs it first.
// bench/redis_client.sh runs this next to redis-benchmark on a private server.
//
// Each op goes through the public API like application code: the command is
// formatted per call, and every reply's length is checked (counter `errors`).
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "redis/client.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using shopfloor::redis::Client;
using shopfloor::redis::Command;
using shopfloor::redis::Options;

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

// Options from the environment, or the name of the first missing variable.
std::optional<Options> options_from_env(std::string& missing) {
  Options o;
  for (const char* name : {"SHOPFLOOR_REDIS_HOST", "SHOPFLOOR_REDIS_PORT", "SHOPFLOOR_REDIS_USER",
                           "SHOPFLOOR_REDIS_PASSWORD_FILE"}) {
    if (!env(name)) {
      missing = name;
      return std::nullopt;
    }
  }
  o.host = *env("SHOPFLOOR_REDIS_HOST");
  o.port = static_cast<std::uint16_t>(std::stoi(*env("SHOPFLOOR_REDIS_PORT")));
  o.tls = env("SHOPFLOOR_REDIS_TLS").value_or("false") == "true";
  o.ca_file = env("SHOPFLOOR_REDIS_CA_FILE").value_or("");
  o.server_name = env("SHOPFLOOR_REDIS_SERVER_NAME").value_or("");
  o.user = *env("SHOPFLOOR_REDIS_USER");
  std::ifstream in(*env("SHOPFLOOR_REDIS_PASSWORD_FILE"));
  std::stringstream ss;
  ss << in.rdbuf();
  o.password = ss.str();
  while (!o.password.empty() && (o.password.back() == '\n' || o.password.back() == '\r')) {
    o.password.pop_back();
  }
  o.client_name = "shopfloor-bench";
  return o;
}

// Runs the io_context until `done` or `limit`.
template <class Pred>
bool run_until(asio::io_context& io, Pred done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(10ms);
  return done();
}

void BM_RedisGet(benchmark::State& state) {
  const auto value_size = static_cast<std::size_t>(state.range(0));
  const auto inflight = static_cast<int>(state.range(1));
  std::string missing;
  auto opts = options_from_env(missing);
  if (!opts) {
    state.SkipWithError(("environment variable " + missing + " is not set").c_str());
    return;
  }
  opts->connections = static_cast<std::size_t>(state.range(2));
  opts->command_timeout = 5s;  // measuring throughput, not deadlines

  asio::io_context io(1);
  Client client(io.get_executor(), *opts);
  client.start();
  if (!run_until(
          io, [&] { return client.connected(); }, 5000ms) ||
      !run_until(
          io, [&] { return client.connected() && !client.last_error(); }, 5000ms)) {
    state.SkipWithError(("cannot connect: " + client.last_error().message()).c_str());
    return;
  }

  const std::string key =
      env("SHOPFLOOR_BENCH_KEY").value_or("sf:bench:get:" + std::to_string(value_size));
  const std::string value(value_size, 'x');
  bool loaded = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto r = co_await client.command(Command("SET", key, value));
        loaded = r && r->is_ok();
      },
      asio::detached);
  run_until(
      io, [&] { return loaded; }, 5000ms);
  if (!loaded) {
    state.SkipWithError("cannot SET the benchmark key");
    return;
  }

  constexpr std::int64_t kBatch = 20000;
  std::int64_t errors = 0;
  while (state.KeepRunningBatch(kBatch)) {
    std::int64_t remaining = kBatch;
    int finished = 0;
    for (int w = 0; w < inflight; ++w) {
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            while (remaining > 0) {
              --remaining;
              auto get = client.command({"GET", key});
              auto r = co_await std::move(get);
              if (!r || !r->is_string() || r->str.size() != value_size) {
                if (errors++ < 3) {
                  std::fprintf(
                      stderr, "GET %s failed: %s\n", key.c_str(),
                      r ? shopfloor::redis::to_string(*r).c_str() : r.error().message().c_str());
                }
              }
            }
            if (++finished == inflight) io.stop();
          },
          asio::detached);
    }
    io.restart();
    io.run();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(value_size));
  state.counters["errors"] = static_cast<double>(errors);
  if (errors > 0) state.SkipWithError("some GETs failed or returned a wrong value");
  bool deleted = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await client.command(Command("DEL", key));
        deleted = true;
      },
      asio::detached);
  io.restart();
  run_until(
      io, [&] { return deleted; }, 5000ms);
  client.stop();
  io.restart();
  io.run_for(50ms);
}

BENCHMARK(BM_RedisGet)
    ->ArgNames({"bytes", "inflight", "conns"})
    ->Args({1024, 1, 1})
    ->Args({1024, 16, 1})
    ->Args({1024, 16, 16})
    ->Args({1024, 256, 16})
    ->Args({20480, 1, 1})
    ->Args({20480, 16, 1})
    ->Args({20480, 16, 16})
    ->Args({20480, 256, 16})
    ->UseRealTime()
    ->MinTime(2.0)
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
