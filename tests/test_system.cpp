#include <gtest/gtest.h>
#include <sched.h>

#include <thread>

#include "relpos/system.hpp"

namespace relpos {
namespace {

// A container or `taskset` limit is what "all cores" must mean, not the machine's count.
TEST(System, UsableCoresFollowTheAffinityMask) {
  cpu_set_t original;
  ASSERT_EQ(sched_getaffinity(0, sizeof(original), &original), 0);
  EXPECT_EQ(usable_cores(), CPU_COUNT(&original));
  int pinned = 0;
  std::thread([&] {
    // Affinity is per thread: pin only this one to its first allowed core.
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &original)) {
        CPU_SET(cpu, &one);
        break;
      }
    if (sched_setaffinity(0, sizeof(one), &one) == 0) pinned = usable_cores();
  }).join();
  EXPECT_EQ(pinned, 1);
}

}  // namespace
}  // namespace relpos
