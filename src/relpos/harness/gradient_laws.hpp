#pragma once
// The laws of the weight gradient (SPEC.md part 2, "Backward"), each on one
// case; properties.cpp lists them in its table.
#include <string>

#include "relpos/harness/case.hpp"
#include "relpos/harness/implementation.hpp"
#include "relpos/harness/properties.hpp"
#include "relpos/harness/scope.hpp"

namespace relpos::harness::detail {

/// Empty when the implementation has a backward; else why the property is skipped.
std::string needs_backward(const Implementation& impl, const Scope& scope);
/// Also needs configure_backward (an option to vary).
std::string needs_backward_options(const Implementation& impl, const Scope& scope);

/// dW equals the sequential reference's (bitwise or within the any-order bound).
Verdict check_gradient(const Case& c, const Implementation& impl);
/// Permuting the tokens, and G with them, leaves dW within the bound of the original's exact sums.
Verdict check_gradient_permutation(const Case& c, const Implementation& impl);
/// dW of G split in two row ranges, and of each batch element alone, add up to dW's exact sums.
Verdict check_gradient_additivity(const Case& c, const Implementation& impl);
/// Per channel, each block's columns of dW add up to the sum of G over every pair.
Verdict check_gradient_column_sums(const Case& c, const Implementation& impl);
/// Another thread count changes not a bit of dW.
Verdict check_gradient_threads(const Case& c, const Implementation& impl);

}  // namespace relpos::harness::detail
