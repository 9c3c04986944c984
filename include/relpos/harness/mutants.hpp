#pragma once
// Faulty lookups, each a divergence someone has written or could easily
// write, used to measure the suite's power: every one must be killed (caught
// and shrunk), and the reordered sum must pass bound:6 while failing bitwise.
#include <optional>
#include <string>
#include <vector>

#include "relpos/harness/implementation.hpp"
#include "relpos/harness/prove.hpp"
#include "relpos/harness/scope.hpp"

namespace relpos::harness {

/// The configurations in which a mutant differs from the faithful lookup:
/// outside them it IS the faithful lookup, and a scope that excludes them
/// cannot (and need not) kill it.
struct Exposure {
  std::optional<Variant> variant;    ///< only under this chain term; empty: any
  std::optional<Cyclic> cyclic;      ///< only with this cyclic form; empty: any
  std::vector<Precision> precisions; ///< only in one of these regimes; empty: any

  bool reachable_in(const Scope& scope) const;
};

struct Mutant {
  std::string name;
  std::string divergence;  ///< what it gets wrong and where that happens in practice
  Implementation implementation;
  bool survives_bound = false;  ///< a reordered sum: wrong bitwise, right under bound:6
  Exposure exposure;
};

/// The faithful lookup the mutants are variations of (bitwise equal to the reference).
Implementation faithful_lookup();

std::vector<Mutant> mutants();

struct MutantResult {
  std::string name;
  std::string divergence;
  bool applicable = true;  ///< false: the scope excludes every config where it differs; not hunted
  bool killed = false;
  Property killed_by = Property::fp32;
  int cases_until_killed = 0;  ///< generated cases over the properties run, the killing one included
  std::int64_t shrunk_tokens = 0;  ///< B * N of the minimal counterexample
  int shrink_steps = 0;
  std::string counterexample;  ///< the minimal case and its report
  bool survives_bound = false;       ///< expected to pass bound:6
  bool passed_bound = false;         ///< did (only measured when survives_bound)
  int bound_cases = 0;
  std::string bound_failure;
};

/// Runs the suite on the mutant until the first failure (and, for a
/// reordered sum, the whole suite again under bound:6). A mutant the scope of
/// `options` cannot reach is returned unhunted, `applicable` false.
MutantResult hunt(const Mutant& mutant, const ProveOptions& options);

}  // namespace relpos::harness
