#include "relpos/problem.hpp"

namespace relpos {

void validate(const Problem& problem) {
  validate(problem.config);
  validate(problem.layout);
  validate(problem.weights, problem.config);
}

}  // namespace relpos
