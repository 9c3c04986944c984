// The host arena: aligned memory, partitions that match the CPU lookup's
// rows, and limits that really write (no timing assertions).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "relpos/arena.hpp"
#include "relpos/bench/host_arena.hpp"
#include "relpos/errors.hpp"

namespace relpos::bench {
namespace {

TEST(HostArena, PartitionsWholeRowsLikeTheCpuLookup) {
  // 10 rows of 12 bytes plus a 5-byte tail over 3 workers: rows 10*w/3.
  const std::size_t bytes = 10 * 12 + 5;
  std::size_t covered = 0;
  for (std::size_t w = 0; w < 3; ++w) {
    const ByteRange range = partition_range(bytes, 12, 3, w);
    EXPECT_EQ(range.begin, covered);
    EXPECT_EQ(range.begin, 10 * w / 3 * 12);
    if (w < 2) EXPECT_EQ(range.end % 12, 0u);
    covered = range.end;
  }
  EXPECT_EQ(covered, bytes);
  EXPECT_EQ(partition_workers(8, 3 * 12, 12), 3u);  // never more workers than rows
  EXPECT_EQ(partition_workers(2, 100 * 12, 12), 2u);
  EXPECT_EQ(partition_workers(4, 5, 12), 1u);
}

TEST(HostArena, AllocatesAlignedMemoryItCanFillAndCopy) {
  HostArena arena(2);
  arena.set_partition_unit(64 * sizeof(float));
  const std::size_t count = 3 * 1000 * 64 + 7;
  auto* data = static_cast<float*>(arena.allocate(count * sizeof(float)));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(data) % 64, 0u);
  arena.prefault(data, count * sizeof(float));
  arena.fill(data, count, 2.5f);
  std::vector<float> host(count);
  arena.copy_to_host(host.data(), data, count * sizeof(float));
  EXPECT_TRUE(std::all_of(host.begin(), host.end(), [](float v) { return v == 2.5f; }));
  arena.release(data);
  EXPECT_THROW(arena.release(host.data()), RuntimeFailure);
}

TEST(HostArena, LimitsWriteTheWholeBufferAndReturnTheirTime) {
  for (int threads : {1, 2, 3}) {
    HostArena arena(threads);
    arena.set_partition_unit(100 * sizeof(float));
    const std::size_t count = 50'000 + 13;
    auto* data = static_cast<float*>(arena.allocate(count * sizeof(float)));
    arena.fill(data, count, 7.0f);
    EXPECT_GT(arena.time_write_limit(data, count * sizeof(float)), 0.0);
    EXPECT_TRUE(std::all_of(data, data + count, [](float v) { return v == 0.0f; })) << threads;  // memset 0
    EXPECT_GT(arena.time_read_modify_write_limit(data, count), 0.0);
    EXPECT_GT(arena.time_read_modify_write_limit(data, count), 0.0);
    EXPECT_TRUE(std::all_of(data, data + count, [](float v) { return v == 2.0f; })) << threads;  // += 1, twice
    EXPECT_GT(arena.time_store_loop(data, count * sizeof(float) - 1), 0.0);  // an odd byte count too
    const auto* bytes = reinterpret_cast<const unsigned char*>(data);
    for (std::size_t k = 0; k + 1 < count * sizeof(float) - 1; k += 2)
      ASSERT_TRUE(bytes[k] == 0x80 && bytes[k + 1] == 0x3f) << "byte " << k;  // bf16 1.0, little-endian
    bool ran = false;
    EXPECT_GE(arena.time([&] { ran = true; }), 0.0);
    EXPECT_TRUE(ran);
    arena.release(data);
  }
}

TEST(HostArena, DescribesItsThreads) {
  HostArena arena(1);
  EXPECT_EQ(arena.describe().rfind("host, 1 thread of ", 0), 0u) << arena.describe();
  EXPECT_EQ(arena.space(), MemorySpace::host);
  const auto made = make_arena(MemorySpace::host, 2);
  EXPECT_EQ(made->space(), MemorySpace::host);
}

TEST(HostArena, TheDeviceArenaNeedsCuda) {
#ifdef RELPOS_HAVE_CUDA
  GTEST_SKIP() << "built with CUDA: the device arena is the CUDA sources' and tested there";
#else
  try {
    make_arena(MemorySpace::device);
    FAIL() << "no exception";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("not compiled"), std::string::npos) << e.what();
  }
#endif
}

}  // namespace
}  // namespace relpos::bench
