#pragma once
// Peak memory of one run, measured rather than modelled: the work runs in a
// forked child whose resident-set high-water mark (VmHWM) the kernel keeps.
// A child gives a clean mark (the parent's earlier peaks do not count) and
// sees every byte the run touches: heap, mmap, thread stacks, library buffers.
#include <cstdint>
#include <functional>

namespace relpos::bench {

struct PeakMeasurement {
  std::uint64_t baseline_bytes = 0;  ///< child's resident set after prepare(), just before work()
  std::uint64_t peak_bytes = 0;      ///< child's resident high-water mark once work() returned
  bool mark_was_reset = false;       ///< /proc/self/clear_refs reset the mark after prepare()
  std::uint64_t extra_bytes() const { return peak_bytes > baseline_bytes ? peak_bytes - baseline_bytes : 0; }
};

/// Forks; the child runs prepare() (allocate and touch what must not count,
/// e.g. the output, and run the path once on a tiny input: a forked child
/// maps each page of library code on first use, and those pages would
/// otherwise count as the path's memory), releases the heap memory prepare()
/// freed, resets its high-water mark, runs work() and reports. In the child,
/// malloc serves every block from the heap and never trims it, so all memory
/// work() touches is still resident at the final, exact reading: the result
/// is the heap's high-water extent plus anything else work() mapped (thread
/// stacks, library buffers). Throws RuntimeFailure when the child fails (its
/// message) or dies. Resolution: pages (4 KiB).
PeakMeasurement measure_peak_in_child(const std::function<void()>& prepare, const std::function<void()>& work);

/// This process's resident set and its high-water mark, bytes (from /proc/self/status).
struct ResidentSet {
  std::uint64_t current = 0;
  std::uint64_t high_water = 0;
};
ResidentSet read_resident_set();

}  // namespace relpos::bench
