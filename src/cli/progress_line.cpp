#include "cli/progress_line.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>

#include <fmt/format.h>

namespace relpos::cli {
namespace {

using Clock = std::chrono::steady_clock;

// On a terminal: quiet for quick runs, then a redraw a few times a second.
// Asked for (--progress) off a terminal: a line per property and every 5 s.
constexpr double kQuietSeconds = 2.0;
constexpr double kTerminalInterval = 0.25;
constexpr double kLogInterval = 5.0;

std::string describe(const harness::Progress& p) {
  std::string where = fmt::format("{}/{} cases", p.cases, p.planned);
  if (p.finished && p.shrink_steps > 0)
    where += fmt::format(", failed: shrunk in {} step{}", p.shrink_steps, p.shrink_steps == 1 ? "" : "s");
  else if (p.shrinking || p.shrink_steps > 0)
    where = fmt::format("shrinking a failure ({} step{} accepted)", p.shrink_steps, p.shrink_steps == 1 ? "" : "s");
  return fmt::format("relpos: {} {}: {}, {:.0f} s elapsed", p.implementation, to_string(p.property), where, p.elapsed);
}

}  // namespace

struct ProgressLine::State {
  bool enabled = false;
  bool terminal = false;
  bool drawn = false;  // a terminal line is on screen and must be cleared
  Clock::time_point last = Clock::now();
  bool ever = false;

  void show(const harness::Progress& p) {
    if (terminal && p.elapsed < kQuietSeconds) return;
    const auto now = Clock::now();
    const double since = std::chrono::duration<double>(now - last).count();
    if (ever && since < (terminal ? kTerminalInterval : kLogInterval) && !(p.finished && !terminal)) return;
    last = now;
    ever = true;
    const std::string line = describe(p);
    if (terminal) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      drawn = true;
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }

  void clear() {
    if (!drawn) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn = false;
  }
};

ProgressLine::ProgressLine(bool forced) : state_(std::make_shared<State>()) {
  state_->terminal = isatty(STDERR_FILENO) == 1;
  state_->enabled = forced || state_->terminal;
}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::clear() { state_->clear(); }

harness::ProgressFunction ProgressLine::callback() {
  if (!state_->enabled) return {};
  return [state = state_](const harness::Progress& p) { state->show(p); };
}

}  // namespace relpos::cli
