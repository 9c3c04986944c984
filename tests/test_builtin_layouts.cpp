// The built-in layouts have the structure featurisers give real complexes.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "relpos/errors.hpp"
#include "relpos/layouts/builtin_layouts.hpp"
#include "relpos/layouts/complex_builder.hpp"

namespace relpos {
namespace {

std::vector<std::int64_t> row(const IdArray& ids, std::int64_t b = 0) {
  return {ids.begin() + b * static_cast<std::int64_t>(ids.shape(1)),
          ids.begin() + (b + 1) * static_cast<std::int64_t>(ids.shape(1))};
}

// Tokens of one chain (asym_id) in order.
std::vector<std::int64_t> chain_positions(const Layout& layout, std::int64_t asym, std::int64_t b = 0) {
  std::vector<std::int64_t> positions;
  for (std::int64_t t = 0; t < layout.tokens(); ++t)
    if (layout.asym_id(b, t) == asym) positions.push_back(t);
  return positions;
}

// Every chain's tokens carry one entity_id and one sym_id; copies of an entity have distinct sym_ids.
void expect_consistent_chains(const Layout& layout, const std::string& name) {
  for (std::int64_t b = 0; b < layout.batch(); ++b) {
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> chain;
    std::set<std::pair<std::int64_t, std::int64_t>> entity_sym;
    for (std::int64_t t = 0; t < layout.tokens(); ++t) {
      const auto ids = std::make_pair(layout.entity_id(b, t), layout.sym_id(b, t));
      const auto [it, inserted] = chain.emplace(layout.asym_id(b, t), ids);
      EXPECT_EQ(it->second, ids) << name << ": chain " << layout.asym_id(b, t) << " mixes entity/sym ids";
      if (inserted) EXPECT_TRUE(entity_sym.insert(ids).second) << name << ": two chains share entity and sym_id";
    }
  }
}

TEST(BuiltinLayouts, EveryNamedLayoutBuildsAndIsConsistent) {
  for (const auto& info : builtin_layouts()) {
    const std::string name = info.name == "large_complex_<N>" ? "large_complex_256" : info.name;
    const Layout layout = builtin_layout(name);
    EXPECT_NO_THROW(validate(layout)) << name;
    expect_consistent_chains(layout, name);
    EXPECT_FALSE(info.description.empty());
  }
}

TEST(BuiltinLayouts, MonomerIsOneContiguousChain) {
  const Layout layout = builtin_layout("monomer");
  ASSERT_EQ(layout.tokens(), 40);
  for (std::int64_t t = 0; t < 40; ++t) {
    EXPECT_EQ(layout.residue_index(0, t), t + 1);
    EXPECT_EQ(layout.token_index(0, t), t);
    EXPECT_EQ(layout.asym_id(0, t), 0);
  }
}

TEST(BuiltinLayouts, HomomerCopiesShareEntityWithRisingSymId) {
  for (const auto& [name, copies] : {std::pair{"homodimer", 2}, std::pair{"homotrimer", 3}}) {
    const Layout layout = builtin_layout(name);
    std::set<std::int64_t> entities(layout.entity_id.begin(), layout.entity_id.end());
    EXPECT_EQ(entities.size(), 1u) << name;
    for (std::int64_t copy = 0; copy < copies; ++copy) {
      const auto positions = chain_positions(layout, copy);
      ASSERT_FALSE(positions.empty());
      EXPECT_EQ(layout.sym_id(0, positions.front()), copy);
      EXPECT_EQ(layout.residue_index(0, positions.front()), 1) << "each copy is numbered from 1";
    }
  }
}

TEST(BuiltinLayouts, LigandAtomsAreTokensSharingOneResidueIndex) {
  const Layout layout = builtin_layout("protein_ligand");
  const auto ligand = chain_positions(layout, 1);
  ASSERT_EQ(ligand.size(), 10u);
  for (std::size_t k = 0; k < ligand.size(); ++k) {
    EXPECT_EQ(layout.residue_index(0, ligand[k]), layout.residue_index(0, ligand[0]));
    EXPECT_EQ(layout.token_index(0, ligand[k]), layout.token_index(0, ligand[0]) + static_cast<std::int64_t>(k));
    EXPECT_NE(layout.entity_id(0, ligand[k]), layout.entity_id(0, 0)) << "own entity";
  }
  EXPECT_EQ(chain_positions(layout, 2).size(), 1u) << "the ion is one token";
}

TEST(BuiltinLayouts, ModifiedResidueIsTokenisedPerAtomWithAGap) {
  const Layout layout = builtin_layout("modified_residue");
  const auto residues = row(layout.residue_index);
  EXPECT_EQ(std::count(residues.begin(), residues.end(), 11), 7);
  bool gap = false;
  for (std::size_t t = 1; t < residues.size(); ++t) {
    EXPECT_GE(residues[t], residues[t - 1]);
    gap = gap || residues[t] - residues[t - 1] > 1;
  }
  EXPECT_TRUE(gap);
  const auto tokens = row(layout.token_index);
  for (std::size_t t = 1; t < tokens.size(); ++t) EXPECT_EQ(tokens[t], tokens[t - 1] + 1);
}

TEST(BuiltinLayouts, HeteromerLigandCopiesShareEntity) {
  const Layout layout = builtin_layout("heteromer_ligand");
  EXPECT_NE(layout.entity_id(0, chain_positions(layout, 0)[0]), layout.entity_id(0, chain_positions(layout, 1)[0]));
  const auto first = chain_positions(layout, 2), second = chain_positions(layout, 3);
  ASSERT_EQ(first.size(), 8u);
  ASSERT_EQ(second.size(), 8u);
  EXPECT_EQ(layout.entity_id(0, first[0]), layout.entity_id(0, second[0]));
  EXPECT_NE(layout.sym_id(0, first[0]), layout.sym_id(0, second[0]));
}

TEST(BuiltinLayouts, AntibodyAntigenHasGapsAndOffsets) {
  const Layout layout = builtin_layout("antibody_antigen");
  const auto heavy = chain_positions(layout, 0), light = chain_positions(layout, 1), antigen = chain_positions(layout, 2);
  EXPECT_EQ(layout.residue_index(0, light.front()), 0) << "light chain numbered from 0";
  EXPECT_EQ(layout.residue_index(0, antigen.front()), 301) << "antigen offset";
  int heavy_gaps = 0;
  for (std::size_t k = 1; k < heavy.size(); ++k)
    heavy_gaps += layout.residue_index(0, heavy[k]) - layout.residue_index(0, heavy[k - 1]) > 1;
  EXPECT_EQ(heavy_gaps, 2);
  EXPECT_GT(layout.residue_index(0, heavy.back()) - layout.residue_index(0, heavy.front()), 2 * 32)
      << "heavy chain spans beyond r_max = 32";
}

TEST(BuiltinLayouts, CroppedComplexHasNonContiguousTokenIndex) {
  const Layout layout = builtin_layout("cropped_complex");
  const auto tokens = row(layout.token_index);
  EXPECT_EQ(tokens.front(), 30);
  int jumps = 0;
  for (std::size_t t = 1; t < tokens.size(); ++t) {
    EXPECT_GT(tokens[t], tokens[t - 1]);
    jumps += tokens[t] - tokens[t - 1] > 1;
  }
  EXPECT_EQ(jumps, 3);
}

TEST(BuiltinLayouts, Batch3IsABatch) {
  const Layout layout = builtin_layout("batch3");
  EXPECT_TRUE(layout.batched);
  EXPECT_EQ(layout.batch(), 3);
  EXPECT_FALSE(layout.element(0) == layout.element(1));
}

TEST(BuiltinLayouts, LargeComplexHasExactlyNTokensAndSymIdsBeyondSMax) {
  for (std::int64_t n : {64, 65, 100, 768, 1000, 1024, 4096}) {
    const Layout layout = builtin_layout("large_complex_" + std::to_string(n));
    ASSERT_EQ(layout.tokens(), n);
    std::int64_t max_sym = 0;
    for (std::int64_t t = 0; t < n; ++t)
      if (layout.entity_id(0, t) == 0) max_sym = std::max(max_sym, layout.sym_id(0, t));
    EXPECT_EQ(max_sym, 3) << "homotetramer: sym_id difference 3 > s_max = 2";
    std::map<std::int64_t, int> per_residue;
    for (std::int64_t t : chain_positions(layout, 0)) ++per_residue[layout.residue_index(0, t)];
    int largest = 0;
    for (const auto& [residue, count] : per_residue) largest = std::max(largest, count);
    EXPECT_EQ(largest, 6) << "one modified residue tokenised per atom in each copy";
    EXPECT_EQ(layout.residue_index(0, chain_positions(layout, 4).front()), 201) << "homodimer numbered from 201";
  }
  EXPECT_THROW(builtin_layout("large_complex_63"), InputError);
  EXPECT_THROW(builtin_layout("large_complex_x"), InputError);
  EXPECT_THROW(builtin_layout("large_complex_0100"), InputError);
}

TEST(ComplexBuilder, CropRejectsOutOfOrderPositions) {
  const Layout full = builtin_layout("monomer");
  const std::vector<std::int64_t> backwards = {3, 2};
  const std::vector<std::int64_t> beyond = {39, 40};
  EXPECT_THROW(crop(full, backwards), InputError);
  EXPECT_THROW(crop(full, beyond), InputError);
}

}  // namespace
}  // namespace relpos
