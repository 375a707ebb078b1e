// StackTest: a GoogleTest fixture with a ServiceStack per test. SetUp builds it (a stack
// that cannot start fails the test with why: a missing setting, a server down);
// TearDown runs the cleanup a test registered with on_teardown() (its own rows), waits
// until the change feeds have retired what that cleanup changed (while Redis is still
// connected, so nothing is left for the ledger), then stops the stack.
//
// A derived fixture calls StackTest::SetUp() first and returns when HasFatalFailure().
//
// Thread-safety: test-only; the test thread.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <memory>

#include "testing/service_stack.hpp"

namespace shopfloor::testing {

class StackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      stack_ = std::make_unique<ServiceStack>();
    } catch (const std::exception& e) {
      GTEST_FAIL() << e.what();
    }
  }

  void TearDown() override {
    if (stack_ && cleanup_) {
      try {
        cleanup_();
        stack_->settle_notifications();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cleanup failed: " << e.what();
      }
    }
    stack_.reset();
  }

  // What TearDown undoes; register it before creating rows (deleting what is not
  // there is harmless, rows left behind are not).
  void on_teardown(std::function<void()> cleanup) { cleanup_ = std::move(cleanup); }

  std::unique_ptr<ServiceStack> stack_;

 private:
  std::function<void()> cleanup_;
};

}  // namespace shopfloor::testing
