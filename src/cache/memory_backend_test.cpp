// The memory backend against the backend conformance suite.
#include "cache/memory_backend.hpp"

#include "cache/backend_conformance.hpp"

namespace shopfloor::cache {
namespace {

class MemoryHarness final : public BackendHarness {
 public:
  Backend& backend() override { return backend_; }
  boost::asio::io_context& ioc() override { return ioc_; }
  void advance(std::chrono::milliseconds d) override { clock_.advance(d); }
  // Its simulated latency runs on a real timer, bounded by each call's timeout.
  void begin_stall(std::chrono::milliseconds) override {
    backend_.set_latency(std::chrono::hours(1));
  }
  void end_stall() override { backend_.set_latency(std::chrono::milliseconds(0)); }
  void begin_outage() override { backend_.set_available(false); }
  void end_outage() override { backend_.set_available(true); }

 private:
  boost::asio::io_context ioc_;
  ManualClock clock_;
  MemoryBackend backend_{clock_};
};

INSTANTIATE_TEST_SUITE_P(Memory, BackendConformance,
                         ::testing::Values(BackendCase{
                             "memory", [] { return std::make_unique<MemoryHarness>(); }}));

}  // namespace
}  // namespace shopfloor::cache
