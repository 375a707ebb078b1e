// Version check on every call, full reload only on change, one load at a time.
#include "pricing/price_book_snapshot.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "pricing/repository.hpp"

namespace shopfloor::pricing {

namespace asio = boost::asio;
using BookResult = Result<std::shared_ptr<const PriceBook>>;

// A load others may wait for: the timer never fires on its own, it is cancelled when
// the load ends, which wakes every waiter.
struct PriceBookSnapshot::Flight {
  explicit Flight(asio::any_io_executor ex) : done(ex, asio::steady_timer::time_point::max()) {}
  asio::steady_timer done;
  std::optional<BookResult> result;
};

// One read of price_list_version that several callers share (see fresh_version()).
struct PriceBookSnapshot::VersionRead {
  explicit VersionRead(asio::any_io_executor ex)
      : done(ex, asio::steady_timer::time_point::max()) {}
  asio::steady_timer done;
  std::optional<Result<long long>> result;
};

PriceBookSnapshot::PriceBookSnapshot(pg::Pool& db) : db_(db) {}
PriceBookSnapshot::~PriceBookSnapshot() = default;

asio::awaitable<Result<long long>> PriceBookSnapshot::run_version_read(
    std::shared_ptr<VersionRead> read) {
  reading_ = read;
  ++version_reads_;
  auto version = co_await read_price_list_version(db_);
  read->result = version;
  if (reading_ == read) reading_.reset();
  read->done.cancel();
  co_return version;
}

asio::awaitable<Result<long long>> PriceBookSnapshot::fresh_version() {
  auto ex = co_await asio::this_coro::executor;
  if (!reading_) co_return co_await run_version_read(std::make_shared<VersionRead>(ex));
  // A read is in flight, but it may have started before this call, and then it could
  // miss a change committed in between. Join the next read instead (it starts once
  // the current one ends, so after this call began); the first to join runs it.
  if (auto next = next_) {
    co_await next->done.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return next->result ? *next->result
                           : Result<long long>(Problem::internal("version read lost"));
  }
  auto next = std::make_shared<VersionRead>(ex);
  next_ = next;
  auto current = reading_;
  co_await current->done.async_wait(asio::as_tuple(asio::use_awaitable));
  next_.reset();  // from here on, newcomers must not join a read that is starting
  co_return co_await run_version_read(next);
}

asio::awaitable<BookResult> PriceBookSnapshot::current() {
  auto version = co_await fresh_version();
  if (!version) co_return version.error();
  // The loaded book is used only when its version is exactly the current one: a
  // version lower than the loaded one means the database was replaced (restored,
  // re-created), and the old book must go too. A freshly loaded book may be newer
  // than the version read above (a change committed meanwhile): newer is fine.
  // A load that started before our version read may bring an older book; then the
  // next round starts a fresh load. The bound keeps a storm of price changes from
  // holding one request forever.
  for (int round = 0; round < 4; ++round) {
    if (book_ && book_->version == *version) co_return book_;
    if (!flight_) {
      auto loaded = co_await reload();
      if (!loaded) co_return loaded.error();
      if ((*loaded)->version >= *version) co_return *loaded;
      continue;
    }
    auto flight = flight_;
    co_await flight->done.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!flight->result) continue;  // cannot happen: the result is set before the wake-up
    if (!*flight->result) co_return flight->result->error();
    if ((**flight->result)->version >= *version) co_return **flight->result;
  }
  co_return Problem::unavailable("the price list kept changing while it was being loaded");
}

asio::awaitable<BookResult> PriceBookSnapshot::reload() {
  auto flight = std::make_shared<Flight>(co_await asio::this_coro::executor);
  flight_ = flight;
  const auto started = std::chrono::steady_clock::now();
  auto book = co_await load_price_book(db_);
  BookResult result = book ? BookResult(std::make_shared<const PriceBook>(std::move(*book)))
                           : BookResult(book.error());
  if (result) {
    ++loads_;
    // Loads run one at a time, so the latest load is the latest state (even when
    // its version is lower: the database was replaced).
    book_ = *result;
    spdlog::info("pricing: price book version {} loaded ({} products, {} materials) in {} ms",
                 book_->version, book_->products.size(), book_->materials.size(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count());
  }
  flight->result = result;
  flight_.reset();
  flight->done.cancel();
  co_return result;
}

}  // namespace shopfloor::pricing
