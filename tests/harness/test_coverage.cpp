// Coverage: which columns (by offset from the block centre) and boundaries cases hit.
#include <gtest/gtest.h>

#include <algorithm>

#include "relpos/harness/coverage.hpp"
#include "relpos/synthetic_weights.hpp"

namespace relpos::harness {
namespace {

Case case_of(Config config, Layout layout) {
  Case c;
  c.config = config;
  c.layout = std::move(layout);
  c.weights = protenix_synthetic_weights(config, 1);
  return c;
}

std::int64_t hits(const std::vector<Coverage::Label>& labels, const std::string& name) {
  const auto it = std::find_if(labels.begin(), labels.end(), [&](const auto& l) { return l.name == name; });
  EXPECT_NE(it, labels.end()) << name;
  return it == labels.end() ? -1 : it->hits;
}

TEST(Coverage, HasOneLabelPerColumnOfTheWidestConfigPlusTwoConditions) {
  const Coverage coverage;
  EXPECT_EQ(coverage.columns().size(), 179u);  // F(40, 5) = 177, + token other-residue + entity unset
  EXPECT_FALSE(coverage.complete());
  EXPECT_EQ(coverage.missing().size(), coverage.columns().size() + coverage.boundaries().size());
}

TEST(Coverage, OneTokenHitsTheCentreOfEveryBlock) {
  Coverage coverage;
  coverage.add(case_of(Config{3, 1, 2}, Layout::from_arrays({0}, {5}, {0}, {0}, {0})));
  const auto columns = coverage.columns();
  EXPECT_EQ(hits(columns, "residue +0"), 1);
  EXPECT_EQ(hits(columns, "token +0"), 1);
  EXPECT_EQ(hits(columns, "entity set"), 1);
  EXPECT_EQ(hits(columns, "chain +0"), 1);
  EXPECT_EQ(hits(columns, "residue +1"), 0);
  EXPECT_EQ(coverage.pairs(), 1);
  EXPECT_EQ(coverage.cases(), 1);
}

TEST(Coverage, CountsClipsExactBoundsAndOtherChainsFromRawDifferences) {
  Coverage coverage;
  // Chain 0: residues 1 and 3 (offset 2 = r_max) and 10 (clipped); chain 1 of another entity.
  coverage.add(case_of(Config{2, 0, 1}, Layout::from_arrays({0, 0, 0, 1}, {1, 3, 10, 1}, {0, 0, 0, 1}, {0, 0, 0, 0},
                                                             {0, 1, 2, 3})));
  const auto columns = coverage.columns();
  const auto boundaries = coverage.boundaries();
  EXPECT_EQ(hits(columns, "residue -2"), 3);  // (1,3) exact, (1,10) and (3,10) clipped
  EXPECT_EQ(hits(columns, "residue +2"), 3);
  EXPECT_EQ(hits(columns, "residue other-chain"), 6);
  EXPECT_EQ(hits(columns, "token other-residue"), 6);
  EXPECT_EQ(hits(columns, "token other-chain"), 6);
  EXPECT_EQ(hits(columns, "chain other"), 6);
  EXPECT_EQ(hits(boundaries, "residue offset exactly -r_max"), 1);
  EXPECT_EQ(hits(boundaries, "residue offset clipped high (> r_max)"), 2);
  EXPECT_EQ(hits(boundaries, "s_max = 0"), 1);
}

TEST(Coverage, MergeAddsCountsAndTheTableNamesEveryBlock) {
  Coverage a, b;
  a.add(case_of(Config{1, 1, 1}, Layout::from_arrays({0, 1}, {1, 1}, {0, 0}, {0, 1}, {0, 1})));
  b.add(case_of(Config{1, 1, 1}, Layout::from_arrays({0}, {1}, {0}, {0}, {0})));
  a.merge(b);
  EXPECT_EQ(a.cases(), 2);
  EXPECT_EQ(a.pairs(), 5);
  EXPECT_EQ(hits(a.boundaries(), "other chain, same entity (homomer pair)"), 2);
  const std::string table = a.table();
  for (const char* block : {"residue", "token", "entity", "chain", "sym offset clipped"})
    EXPECT_NE(table.find(block), std::string::npos) << block;
}

}  // namespace
}  // namespace relpos::harness
