#include "relpos/bench/peak_memory.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "relpos/errors.hpp"

namespace relpos::bench {
namespace {

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
bool reset_high_water_mark() {
  std::ofstream file("/proc/self/clear_refs");
  file << "5";
  file.flush();
  return static_cast<bool>(file);
}

}  // namespace

ResidentSet read_resident_set() {
  std::ifstream status("/proc/self/status");
  if (!status) throw RuntimeFailure("peak memory: cannot read /proc/self/status");
  ResidentSet set;
  bool have_current = false;
  bool have_peak = false;
  std::string line;
  while (std::getline(status, line)) {
    std::uint64_t kib = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %lu kB", &kib) == 1) {
      set.current = kib * 1024;
      have_current = true;
    } else if (std::sscanf(line.c_str(), "VmHWM: %lu kB", &kib) == 1) {
      set.high_water = kib * 1024;
      have_peak = true;
    }
  }
  if (!have_current || !have_peak) throw RuntimeFailure("peak memory: /proc/self/status has no VmRSS/VmHWM");
  return set;
}

PeakMeasurement measure_peak_in_child(const std::function<void()>& prepare, const std::function<void()>& work) {
  int fds[2];
  if (::pipe(fds) != 0) throw RuntimeFailure(fmt::format("peak memory: pipe: {}", std::strerror(errno)));
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw RuntimeFailure(fmt::format("peak memory: fork: {}", std::strerror(errno)));
  }
  if (child == 0) {
    ::close(fds[0]);
    int code = 0;
    try {
      // Every malloc block from the heap, and the heap never handed back while
      // work() runs: what work() touches stays resident until the final,
      // exact reading. (A block freed back to the kernel would only leave its
      // mark through the kernel's approximate per-CPU counters.)
      mallopt(M_MMAP_MAX, 0);
      mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
      prepare();
      // Memory prepare() freed must not be reused by work() unnoticed.
      malloc_trim(0);
      read_resident_set();  // maps the code that reads the marks
      const bool reset = reset_high_water_mark();
      const ResidentSet before = read_resident_set();
      work();
      const ResidentSet after = read_resident_set();
      // The reset (or, without one, prepare()'s transients) can leave the mark
      // above the current set: the larger is the baseline, so nothing that
      // happened before work() is blamed on it.
      const std::uint64_t baseline = std::max(before.current, before.high_water);
      write_all(fds[1], fmt::format("ok {} {} {}", baseline, after.high_water, reset ? 1 : 0));
    } catch (const std::exception& e) {
      write_all(fds[1], fmt::format("error {}", e.what()));
      code = 3;
    } catch (...) {
      write_all(fds[1], "error unknown exception");
      code = 3;
    }
    ::close(fds[1]);
    ::_exit(code);  // no atexit handlers, no destructors of the parent's objects
  }
  ::close(fds[1]);
  const std::string report = read_all(fds[0]);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status))
    throw RuntimeFailure(fmt::format("peak memory: the measuring child died of signal {} ({})", WTERMSIG(status),
                                     strsignal(WTERMSIG(status))));
  if (report.rfind("error ", 0) == 0) throw RuntimeFailure(fmt::format("peak memory: {}", report.substr(6)));
  PeakMeasurement measurement;
  std::istringstream in(report);
  std::string tag;
  int reset = 0;
  if (!(in >> tag >> measurement.baseline_bytes >> measurement.peak_bytes >> reset) || tag != "ok")
    throw RuntimeFailure(fmt::format("peak memory: the measuring child reported '{}'", report));
  measurement.mark_was_reset = reset == 1;
  return measurement;
}

}  // namespace relpos::bench
