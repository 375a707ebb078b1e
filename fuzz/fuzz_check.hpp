// FUZZ_CHECK(cond, what): an invariant of a fuzz target. When it fails, the input is
// printed (escaped) with the message and the process aborts, which libFuzzer reports as
// a crash (and saves the input) and the corpus replay test reports as a failure.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace shopfloor::fuzz {

[[noreturn]] inline void check_failed(const char* cond, std::string_view what, const char* file,
                                      int line) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %.*s\n", file, line, cond,
               static_cast<int>(what.size()), what.data());
  std::abort();
}

}  // namespace shopfloor::fuzz

#define FUZZ_CHECK(cond, what)                                                       \
  do {                                                                               \
    if (!(cond)) ::shopfloor::fuzz::check_failed(#cond, (what), __FILE__, __LINE__); \
  } while (false)
