// Building layouts from chain specs, the way featurisers number tokens.
#include <gtest/gtest.h>

#include <limits>

#include "relpos/harness/layout_spec.hpp"

namespace relpos::harness {
namespace {

std::vector<std::int64_t> row(const IdArray& ids, std::int64_t b = 0) {
  return std::vector<std::int64_t>(&ids(b, 0), &ids(b, 0) + ids.shape(1));
}

ChainSpec polymer(std::vector<ResidueSpec> residues, Numbering numbering = Numbering::from_one, std::int64_t offset = 0,
                  std::int32_t copies = 1) {
  return ChainSpec{ChainKind::polymer, copies, 0, numbering, offset, std::move(residues)};
}

TEST(BuildComplex, PolymerIsOneTokenPerResidueWithGapsAndPerAtomResidues) {
  ComplexSpec spec;
  // residues 1, 2 (3 atoms), 7 (gap of 5)
  spec.chains = {polymer({{1, 1}, {1, 3}, {5, 1}})};
  const Layout layout = build_complex(spec);
  EXPECT_EQ(row(layout.residue_index), (std::vector<std::int64_t>{1, 2, 2, 2, 7}));
  EXPECT_EQ(row(layout.token_index), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(row(layout.asym_id), (std::vector<std::int64_t>{0, 0, 0, 0, 0}));
}

TEST(BuildComplex, HomomerCopiesShareTheEntityAndCountSymIds) {
  ComplexSpec spec;
  spec.chains = {polymer({{1, 1}, {1, 1}}, Numbering::from_zero, 0, 3),
                 ChainSpec{ChainKind::ligand, 1, 1, Numbering::from_one, 0, {ResidueSpec{1, 2}}}};
  spec.asym_base = 10;
  spec.entity_base = 4;
  spec.token_base = 100;
  const Layout layout = build_complex(spec);
  EXPECT_EQ(row(layout.asym_id), (std::vector<std::int64_t>{10, 10, 11, 11, 12, 12, 13, 13}));
  EXPECT_EQ(row(layout.entity_id), (std::vector<std::int64_t>{4, 4, 4, 4, 4, 4, 5, 5}));
  EXPECT_EQ(row(layout.sym_id), (std::vector<std::int64_t>{0, 0, 1, 1, 2, 2, 1, 1}));
  EXPECT_EQ(row(layout.residue_index), (std::vector<std::int64_t>{0, 1, 0, 1, 0, 1, 1, 1}));
  EXPECT_EQ(row(layout.token_index), (std::vector<std::int64_t>{100, 101, 102, 103, 104, 105, 106, 107}));
}

TEST(BuildComplex, NumberingNearTheLimitsStaysInsideThem) {
  ComplexSpec spec;
  spec.chains = {polymer({{1, 1}, {1, 1}, {3, 1}}, Numbering::near_int32_max, 2),
                 polymer({{1, 1}, {1, 1}}, Numbering::near_int64_min, 1),
                 polymer({{1, 1}, {1, 1}}, Numbering::near_int64_max, 0)};
  spec.token_base = std::numeric_limits<std::int64_t>::max();
  const Layout layout = build_complex(spec);
  const std::int64_t i32 = std::numeric_limits<std::int32_t>::max();
  const std::int64_t i64max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t i64min = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(row(layout.residue_index),
            (std::vector<std::int64_t>{i32 - 6, i32 - 5, i32 - 2, i64min + 1, i64min + 2, i64max - 1, i64max}));
  // token_index counts up and ends exactly at INT64_MAX rather than overflowing.
  EXPECT_EQ(row(layout.token_index).back(), i64max);
  EXPECT_EQ(row(layout.token_index).front(), i64max - 6);
}

TEST(BuildComplex, WindowCropKeepsAContiguousRun) {
  ComplexSpec spec;
  spec.chains = {polymer(std::vector<ResidueSpec>(10, ResidueSpec{}))};
  spec.crop = CropSpec{CropKind::window, 300, 1000, 0};  // 3 of 10 tokens, at the last possible start
  const Layout layout = build_complex(spec);
  EXPECT_EQ(row(layout.token_index), (std::vector<std::int64_t>{7, 8, 9}));
}

TEST(BuildComplex, SubsetCropKeepsOrderAndLeavesTokenIndexGaps) {
  ComplexSpec spec;
  spec.chains = {polymer(std::vector<ResidueSpec>(40, ResidueSpec{}))};
  spec.crop = CropSpec{CropKind::subset, 500, 0, 12345};
  const Layout layout = build_complex(spec);
  const auto tokens = row(layout.token_index);
  ASSERT_GT(tokens.size(), 5u);
  ASSERT_LT(tokens.size(), 35u);
  EXPECT_TRUE(std::is_sorted(tokens.begin(), tokens.end()));
  EXPECT_EQ(row(layout.residue_index), [&] {
    std::vector<std::int64_t> expected;
    for (std::int64_t t : tokens) expected.push_back(t + 1);  // one token per residue, numbered from 1
    return expected;
  }());
}

TEST(BuildComplex, PermutationShufflesTokensButKeepsEachTokensIds) {
  ComplexSpec spec;
  spec.chains = {polymer(std::vector<ResidueSpec>(12, ResidueSpec{}))};
  spec.permuted = true;
  spec.permutation_seed = 7;
  const Layout layout = build_complex(spec);
  const auto tokens = row(layout.token_index);
  EXPECT_FALSE(std::is_sorted(tokens.begin(), tokens.end()));
  for (std::size_t t = 0; t < tokens.size(); ++t) EXPECT_EQ(layout.residue_index(0, t), tokens[t] + 1);
}

TEST(BuildLayout, BatchElementsAreCutToTheShortestAndStacked) {
  ComplexSpec a, b;
  a.chains = {polymer(std::vector<ResidueSpec>(5, ResidueSpec{}))};
  b.chains = {polymer(std::vector<ResidueSpec>(3, ResidueSpec{}), Numbering::from_zero)};
  const Layout layout = build_layout(LayoutSpec{{a, b}, true}, 64);
  EXPECT_TRUE(layout.batched);
  EXPECT_EQ(layout.batch(), 2);
  EXPECT_EQ(layout.tokens(), 3);
  EXPECT_EQ(row(layout.residue_index, 0), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(row(layout.residue_index, 1), (std::vector<std::int64_t>{0, 1, 2}));
}

TEST(BuildLayout, MaxTokensCutsAndEmptySpecsBecomeOneIon) {
  ComplexSpec a;
  a.chains = {polymer(std::vector<ResidueSpec>(50, ResidueSpec{}))};
  EXPECT_EQ(build_layout(LayoutSpec{{a}, false}, 7).tokens(), 7);
  EXPECT_FALSE(build_layout(LayoutSpec{{a}, false}, 7).batched);
  const Layout empty = build_layout(LayoutSpec{{ComplexSpec{}}, false}, 7);
  EXPECT_EQ(empty.tokens(), 1);
}

}  // namespace
}  // namespace relpos::harness
