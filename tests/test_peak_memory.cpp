// Peak memory measured in a forked child: known allocations, failures.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "relpos/bench/peak_memory.hpp"
#include "relpos/errors.hpp"

namespace relpos::bench {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;
// Page resolution: a block can share a page already resident, or bring a page of bookkeeping;
// under load the kernel may also drop a few clean file-backed pages (code) from the
// child's resident set while it runs (seen: 21 pages on a busy 2-core VM).
constexpr std::uint64_t kSlack = 256 * 1024;

TEST(PeakMemory, SeesATransientAllocation) {
  const PeakMeasurement m = measure_peak_in_child([] {},
                                                  [] {
                                                    std::vector<char> block(8 * kMiB);
                                                    std::memset(block.data(), 1, block.size());
                                                  });
  EXPECT_TRUE(m.mark_was_reset);
  EXPECT_GE(m.extra_bytes(), 8 * kMiB - kSlack);
  EXPECT_LE(m.extra_bytes(), 8 * kMiB + kSlack);
}

TEST(PeakMemory, PrepareDoesNotCountAndUntouchedMemoryDoesNot) {
  std::unique_ptr<char[]> kept;
  const PeakMeasurement m = measure_peak_in_child(
      [&] {
        kept.reset(new char[16 * kMiB]);
        std::memset(kept.get(), 2, 16 * kMiB);
      },
      [] {
        void* reserved = std::malloc(32 * kMiB);  // never touched: not resident
        std::free(reserved);
      });
  EXPECT_LE(m.extra_bytes(), kSlack);
  EXPECT_GE(m.baseline_bytes, 16 * kMiB);
}

TEST(PeakMemory, ReportsTheLargestOfSequentialAllocations) {
  const PeakMeasurement m = measure_peak_in_child([] {},
                                                  [] {
                                                    for (std::uint64_t size : {2 * kMiB, 6 * kMiB, 3 * kMiB}) {
                                                      std::vector<char> block(size);
                                                      std::memset(block.data(), 3, size);
                                                    }
                                                  });
  EXPECT_GE(m.extra_bytes(), 6 * kMiB - kSlack);
  EXPECT_LE(m.extra_bytes(), 6 * kMiB + kSlack);
}

TEST(PeakMemory, AChildErrorBecomesARuntimeFailureWithItsMessage) {
  try {
    measure_peak_in_child([] {}, [] { throw std::runtime_error("backend exploded"); });
    FAIL() << "no exception";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("backend exploded"), std::string::npos) << e.what();
  }
}

TEST(PeakMemory, AChildThatDiesIsReported) {
  try {
    measure_peak_in_child([] {}, [] { std::abort(); });
    FAIL() << "no exception";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("signal"), std::string::npos) << e.what();
  }
}

TEST(PeakMemory, ReadsThisProcessResidentSet) {
  const ResidentSet set = read_resident_set();
  EXPECT_GT(set.current, 0u);
  EXPECT_GE(set.high_water, set.current);
}

}  // namespace
}  // namespace relpos::bench
