#pragma once
// How a case reads in a report: the config, the five id arrays, the weights
// (in full when small) and the transform. RapidCheck prints counterexamples
// through showValue().
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>

#include "relpos/harness/case.hpp"

namespace relpos::harness {

/// Multi-line description; weights in full up to `max_weights` values.
std::string describe(const Case& c, std::size_t max_weights = 96);

/// "[0 (x5), 1..287, 3, 9]": runs of at least four equal or consecutive values
/// as one item, so a 2000-token layout still reads in one short line.
std::string compact_list(std::span<const std::int64_t> values);

/// One line per id field: "asym_id [0, 0, 1]" (a batch prints one list per element).
std::string describe_layout(const Layout& layout);

void showValue(const Case& c, std::ostream& os);

}  // namespace relpos::harness
