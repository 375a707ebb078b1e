// Uncached cost of one calculation on the seeded catalogue (sql/seed/pricing.sql),
// loaded from the real PostgreSQL of scripts/devenv.sh (source .run/env.sh first):
//
//   BM_Calculate/<sku>/<qty>   the calculator alone on the in-memory price book: the
//                              deepest BOM of the catalogue and the worked example
//   BM_MissPath/<sku>          what a cache miss costs the service besides HTTP: the
//                              price_list_version query, the calculator and the JSON
//   BM_LoadPriceBook           a full reload (only after a price change)
//
//   build-release/bench/pricing_calculator_bench [--benchmark_min_time=2]
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>

#include "pg/pool.hpp"
#include "pricing/calculation_codec.hpp"
#include "pricing/price_book_snapshot.hpp"
#include "pricing/repository.hpp"

namespace {

namespace asio = boost::asio;
using namespace shopfloor;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    std::cerr << "missing " << name << ": source .run/env.sh (scripts/devenv.sh start)\n";
    std::exit(2);
  }
  return v;
}

pg::Options pg_options() {
  pg::Options o;
  o.host = env("SHOPFLOOR_DB_HOST");
  o.port = static_cast<std::uint16_t>(std::stoi(env("SHOPFLOOR_DB_PORT")));
  o.dbname = env("SHOPFLOOR_DB_NAME");
  o.user = env("SHOPFLOOR_DB_USER");
  std::ifstream in(env("SHOPFLOOR_DB_PASSWORD_FILE"));
  std::getline(in, o.password);
  o.application_name = "sf_pricing_bench";
  return o;
}

// Runs one awaitable to completion on `ioc` (single-threaded, so no future needed).
template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> aw) {
  std::optional<T> out;
  std::exception_ptr error;
  asio::co_spawn(ioc, std::move(aw), [&](std::exception_ptr e, T v) {
    error = e;
    if (!e) out.emplace(std::move(v));
  });
  ioc.restart();
  ioc.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

// Sub-assembly levels below `sku` (0: materials only).
int depth(const pricing::PriceBook& book, const std::string& sku, int guard = 0) {
  if (guard > pricing::kMaxBomDepth) return guard;
  int d = 0;
  for (const auto& line : book.products.at(sku).bom) {
    if (!line.is_material) d = std::max(d, 1 + depth(book, line.component, guard + 1));
  }
  return d;
}

struct Fixture {
  asio::io_context ioc{1};
  pg::Pool db{ioc.get_executor(), pg_options()};
  pricing::PriceBook book;
  std::string deepest;
  int deepest_levels = 0;

  Fixture() {
    auto loaded = run(ioc, pricing::load_price_book(db));
    if (!loaded) {
      std::cerr << "cannot load the price book: " << loaded.error().message << "\n";
      std::exit(2);
    }
    book = std::move(*loaded);
    // Deepest BOM; on a tie the one whose explosion has the most BOM lines.
    std::size_t best_lines = 0;
    for (const auto& [sku, product] : book.products) {
      const int d = depth(book, sku);
      std::size_t lines = 0;
      std::function<void(const std::string&)> count = [&](const std::string& s) {
        for (const auto& l : book.products.at(s).bom) {
          ++lines;
          if (!l.is_material) count(l.component);
        }
      };
      count(sku);
      if (d > deepest_levels || (d == deepest_levels && lines > best_lines)) {
        deepest = sku;
        deepest_levels = d;
        best_lines = lines;
      }
    }
    std::cerr << "price book version " << book.version << ": " << book.products.size()
              << " products; deepest BOM " << deepest << " (" << deepest_levels
              << " sub-assembly levels, " << best_lines << " BOM lines exploded)\n";
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_Calculate(benchmark::State& state, const std::string& which, long long quantity) {
  Fixture& f = fixture();
  const std::string sku = which == "deepest" ? f.deepest : which;
  const pricing::CalculationRequest request{sku, quantity, {}};
  for (auto _ : state) {
    auto c = pricing::calculate(f.book, request);
    if (!c) {
      state.SkipWithError(c.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(c);
  }
  state.SetLabel(sku);
}

void BM_MissPath(benchmark::State& state, const std::string& which) {
  Fixture& f = fixture();
  pricing::PriceBookSnapshot snapshot(f.db);
  const std::string sku = which == "deepest" ? f.deepest : which;
  const pricing::CalculationRequest request{sku, 120, {}};
  auto once = [&]() -> asio::awaitable<bool> {
    auto book = co_await snapshot.current();
    if (!book) co_return false;
    auto c = pricing::calculate(**book, request);
    if (!c) co_return false;
    auto body = pricing::render_calculation(*c, request, "2026-11-24T09:30:00Z");
    benchmark::DoNotOptimize(body);
    co_return true;
  };
  for (auto _ : state) {
    if (!run(f.ioc, once())) {
      state.SkipWithError("miss path failed");
      break;
    }
  }
  state.SetLabel(sku);
}

void BM_LoadPriceBook(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    auto book = run(f.ioc, pricing::load_price_book(f.db));
    if (!book) {
      state.SkipWithError("load failed");
      break;
    }
    benchmark::DoNotOptimize(book);
  }
}

BENCHMARK_CAPTURE(BM_Calculate, deepest_q1, std::string("deepest"), 1)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Calculate, deepest_q120, std::string("deepest"), 120)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Calculate, deepest_q1000000, std::string("deepest"), 1'000'000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Calculate, worked_example_q120, std::string("BRK-200"), 120)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_MissPath, deepest, std::string("deepest"))->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LoadPriceBook)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
