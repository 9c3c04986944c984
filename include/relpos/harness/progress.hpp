#pragma once
// Where a run of the property suite is, as it goes: what a progress line on a
// terminal needs, reported after every case and every shrink attempt.
#include <functional>
#include <string_view>

#include "relpos/harness/properties.hpp"

namespace relpos::harness {

struct Progress {
  std::string_view implementation;
  Property property = Property::fp32;
  int cases = 0;          ///< generated cases finished for this property
  int planned = 0;        ///< cases the property runs when nothing fails
  int shrink_steps = 0;   ///< accepted shrinks so far
  bool shrinking = false;
  bool finished = false;  ///< the property is done (passed, failed or skipped)
  double elapsed = 0;     ///< seconds since prove() started
};

/// Called often (every case): keep it cheap, throttle any printing.
using ProgressFunction = std::function<void(const Progress&)>;

}  // namespace relpos::harness
