#pragma once
// A progress line on stderr for runs of the property suite: redrawn in place
// on a terminal once a run has taken a few seconds; silent when stderr is not
// a terminal unless asked (--progress): then a line per property and every few seconds.
#include <chrono>
#include <memory>

#include "relpos/harness/progress.hpp"

namespace relpos::cli {

class ProgressLine {
 public:
  explicit ProgressLine(bool forced);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  /// The function to put in ProveOptions::progress (empty when silent).
  harness::ProgressFunction callback();

  /// Erases a line drawn on the terminal (before the report is printed).
  void clear();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace relpos::cli
