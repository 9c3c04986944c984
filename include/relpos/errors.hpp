#pragma once
// Two kinds of failure the whole project distinguishes: bad input (exit 2)
// and a real mismatch (exit 1). Everything else is a bug.
#include <stdexcept>
#include <string>

namespace relpos {

/// A file, dataset, shape, dtype or argument that cannot be used. The message
/// is one line that names the offending object and the problem.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A failure of the environment the computation runs in (CUDA runtime, BLAS,
/// a candidate process): not the user's input and not a numerical mismatch.
class RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitMismatch = 1;
inline constexpr int kExitBadInput = 2;

}  // namespace relpos
