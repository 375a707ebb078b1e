// Replays a fuzz target's corpus (SHOPFLOOR_FUZZ_CORPUS, one input per file) through its
// LLVMFuzzerTestOneInput: a crash, a sanitizer report or a failed FUZZ_CHECK fails the
// test. Built by fuzz/CMakeLists.txt for every target in normal (g++) builds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// One suite per target (SHOPFLOOR_FUZZ_SUITE, e.g. resp_fuzz): CTest names must differ.
TEST(SHOPFLOOR_FUZZ_SUITE, EveryCorpusInputPasses) {
  namespace fs = std::filesystem;
  const fs::path dir = SHOPFLOOR_FUZZ_CORPUS;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "empty corpus " << dir;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    // A copy of exactly the input's size, so ASan sees reads past its end.
    std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
    SCOPED_TRACE(f.string());
    std::fprintf(stderr, "replay %s (%zu bytes)\n", f.filename().c_str(), input.size());
    EXPECT_EQ(LLVMFuzzerTestOneInput(input.data(), input.size()), 0);
  }
  std::printf("replayed %zu inputs from %s\n", files.size(), dir.c_str());
}
