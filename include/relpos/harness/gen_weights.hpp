#pragma once
// Weight specs: a style and a seed (the matrix itself is built for the case's config).
#include <rapidcheck.h>

#include "relpos/harness/gen_choice.hpp"
#include "relpos/harness/weight_spec.hpp"

namespace relpos::harness::gen {

inline rc::Gen<WeightSpec> weight_spec() {
  return rc::gen::construct<WeightSpec>(weighted_choice<WeightStyle>({{30, WeightStyle::trunc_normal},
                                                                      {20, WeightStyle::uniform},
                                                                      {20, WeightStyle::wide_exponent},
                                                                      {20, WeightStyle::sparse},
                                                                      {10, WeightStyle::small_integers}}),
                                        seed());
}

}  // namespace relpos::harness::gen
