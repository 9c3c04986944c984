#include "relpos/problem.hpp"

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos {

void validate_output_size(const Layout& layout, const Config& config) {
  std::int64_t pairs = 0, bytes = 0;
  if (__builtin_mul_overflow(layout.tokens(), layout.tokens(), &pairs) ||
      __builtin_mul_overflow(pairs, layout.batch(), &pairs) ||
      __builtin_mul_overflow(pairs, std::int64_t{config.c_z} * 4, &bytes))
    throw InputError(fmt::format("the output [{}, {}, {}, {}] is too large to address", layout.batch(),
                                 layout.tokens(), layout.tokens(), config.c_z));
}

void validate(const Problem& problem) {
  validate(problem.config);
  validate(problem.layout);
  if (problem.config.cyclic == Cyclic::boltz && !problem.layout.has_periods())
    throw InputError("cyclic = boltz needs each token's cyclic_period (0 for tokens of non-cyclic chains)");
  validate(problem.weights, problem.config);
  validate_output_size(problem.layout, problem.config);
}

}  // namespace relpos
