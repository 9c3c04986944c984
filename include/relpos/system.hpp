#pragma once
// Facts about the running process that several parts need the same answer to.
#include <chrono>

namespace relpos {

/// Cores this process may run on (its CPU affinity mask, so a container or
/// `taskset` limit counts), at least 1. "All cores" means this number.
int usable_cores();

/// Seconds of steady-clock time since `start`.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace relpos
