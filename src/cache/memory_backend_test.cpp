// The memory backend against the backend conformance suite.
#include "cache/backend_conformance.hpp"
#include "cache/memory_backend.hpp"

namespace shopfloor::cache {
namespace {

class MemoryHarness final : public BackendHarness {
 public:
  Backend& backend() override { return backend_; }
  boost::asio::io_context& ioc() override { return ioc_; }
  void advance(std::chrono::milliseconds d) override { clock_.advance(d); }

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
