// The generators: every case is valid and realistic, and shrinking reaches the
// smallest layout that still shows a feature (1-3 tokens).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "relpos/backends/registry.hpp"
#include "relpos/harness/gen_case.hpp"
#include "relpos/harness/gen_layout.hpp"
#include "relpos/harness/prove.hpp"

namespace relpos::harness {
namespace {

RC_GTEST_PROP(Generators, EveryCaseIsValidAndWithinItsLimits, ()) {
  const CaseLimits limits;
  const Case c = *gen::case_(limits);
  validate(c);  // throws on anything inconsistent
  RC_ASSERT(c.layout.tokens() >= 1);
  RC_ASSERT(c.layout.tokens() <= token_limit(c.config, c.layout.batch(), limits));
  RC_ASSERT(c.config.r_max >= 0 && c.config.r_max <= 40);
  RC_ASSERT(c.config.s_max >= 0 && c.config.s_max <= 5);
  RC_ASSERT(c.config.c_z >= 1 && c.config.c_z <= 256);
  RC_ASSERT(c.layout.batched || c.layout.batch() == 1);
}

RC_GTEST_PROP(Generators, Int32ModeKeepsEveryIdAndEveryTransformedIdInsideInt32, ()) {
  CaseLimits limits;
  limits.int32_ids = true;
  const Case c = *gen::case_(limits);
  const Transform& t = c.transform;
  RC_ASSERT(ids_fit_int32(c.layout));
  RC_ASSERT(ids_fit_int32(c));
  RC_ASSERT(ids_fit_int32(add_to_field(c.layout, IdField::residue_index, t.residue_shift)));
  RC_ASSERT(ids_fit_int32(add_to_field(c.layout, IdField::token_index, t.token_shift)));
  RC_ASSERT(ids_fit_int32(add_to_field(c.layout, IdField::sym_id, t.sym_shift)));
  RC_ASSERT(ids_fit_int32(relabel_field(c.layout, IdField::asym_id, t.asym_relabelling)));
  RC_ASSERT(ids_fit_int32(relabel_field(c.layout, IdField::entity_id, t.entity_relabelling)));
}

RC_GTEST_PROP(Generators, WeightsAreFiniteNormalAndCannotOverflowFourTerms, ()) {
  const Case c = *gen::case_();
  for (const float w : c.weights) {
    RC_ASSERT(std::isfinite(w));
    RC_ASSERT(std::abs(w) < 0x1p101f);
    RC_ASSERT(w == 0 || std::abs(w) >= std::numeric_limits<float>::min());
  }
}

RC_GTEST_PROP(Generators, UncroppedUnpermutedComplexesAreNumberedLikeAFeaturiser, ()) {
  ComplexSpec spec = *gen::complex();
  spec.crop = CropSpec{};
  spec.permuted = false;
  const Layout layout = build_complex(spec);
  for (std::int64_t t = 1; t < layout.tokens(); ++t) {
    RC_ASSERT(layout.token_index(0, t) == layout.token_index(0, t - 1) + 1);  // a global counter
    if (layout.asym_id(0, t) == layout.asym_id(0, t - 1)) {
      RC_ASSERT(layout.residue_index(0, t) >= layout.residue_index(0, t - 1));  // numbering rises within a chain
      RC_ASSERT(layout.entity_id(0, t) == layout.entity_id(0, t - 1));
      RC_ASSERT(layout.sym_id(0, t) == layout.sym_id(0, t - 1));
    }
  }
}

RC_GTEST_PROP(Generators, CropsKeepTokensInOrder, ()) {
  ComplexSpec spec = *gen::complex();
  spec.permuted = false;
  const Layout layout = build_complex(spec);
  for (std::int64_t t = 1; t < layout.tokens(); ++t) RC_ASSERT(layout.token_index(0, t) > layout.token_index(0, t - 1));
}

// An implementation that is the reference except on layouts with `feature`,
// where it writes NaN: the minimal counterexample is the smallest such layout.
std::int64_t shrunk_size(const std::function<bool(const Layout&)>& feature) {
  const auto reference = make_backend("onehot");
  Implementation impl = implementation("feature detector", [&](const Problem& problem, const PairOutput& out) {
    reference->run(problem, out);
    if (feature(problem.layout)) std::fill(out.fp32(), out.fp32() + out.elements(), std::nanf(""));
  });
  ProveOptions options;
  options.properties = {Property::fp32};
  options.cases = 400;
  const Report report = prove(impl, options);
  const PropertyResult* failure = report.first_failure();
  if (failure == nullptr || !failure->counterexample) {
    ADD_FAILURE() << "the generator never produced the feature in 400 cases";
    return -1;
  }
  std::cout << failure->counterexample->value.total_tokens() << "-token counterexample after "
            << failure->counterexample->shrink_steps << " shrink steps\n";
  return failure->counterexample->value.total_tokens();
}

bool any_pair(const Layout& layout, const std::function<bool(const TokenIds&, const TokenIds&)>& predicate) {
  for (std::int64_t b = 0; b < layout.batch(); ++b)
    for (std::int64_t i = 0; i < layout.tokens(); ++i)
      for (std::int64_t j = 0; j < layout.tokens(); ++j)
        if (i != j && predicate(layout.token(b, i), layout.token(b, j))) return true;
  return false;
}

TEST(Shrinking, AHomomerPairShrinksToTwoTokens) {
  EXPECT_EQ(shrunk_size([](const Layout& l) {
              return any_pair(l, [](const TokenIds& a, const TokenIds& b) {
                return a.asym_id != b.asym_id && a.entity_id == b.entity_id;
              });
            }),
            2);
}

TEST(Shrinking, APerAtomResidueShrinksToTwoTokens) {
  EXPECT_EQ(shrunk_size([](const Layout& l) {
              return any_pair(l, [](const TokenIds& a, const TokenIds& b) {
                return a.asym_id == b.asym_id && a.residue_index == b.residue_index;
              });
            }),
            2);
}

TEST(Shrinking, AResidueGapPastInt32ShrinksToTwoTokens) {
  EXPECT_EQ(shrunk_size([](const Layout& l) {
              return any_pair(l, [](const TokenIds& a, const TokenIds& b) {
                return a.asym_id == b.asym_id &&
                       static_cast<__int128>(a.residue_index) - b.residue_index >= (static_cast<__int128>(1) << 31);
              });
            }),
            2);
}

TEST(Shrinking, IdsBeyondInt32ShrinkToOneToken) {
  EXPECT_EQ(shrunk_size([](const Layout& l) {
              for (const std::int64_t v : l.residue_index)
                if (v > std::numeric_limits<std::int32_t>::max() || v < std::numeric_limits<std::int32_t>::min())
                  return true;
              return false;
            }),
            1);
}

TEST(Shrinking, ABatchShrinksToTwoElementsOfOneToken) {
  EXPECT_EQ(shrunk_size([](const Layout& l) { return l.batch() > 1; }), 2);
}

TEST(Shrinking, ACroppedTokenGapShrinksToTwoTokens) {
  // Neighbours in layout order of one chain whose token_index jumps: only a crop does that.
  EXPECT_EQ(shrunk_size([](const Layout& l) {
              for (std::int64_t t = 1; t < l.tokens(); ++t) {
                const __int128 gap = static_cast<__int128>(l.token_index(0, t)) - l.token_index(0, t - 1);
                if (l.asym_id(0, t) == l.asym_id(0, t - 1) && gap > 1) return true;
              }
              return false;
            }),
            2);
}

}  // namespace
}  // namespace relpos::harness
