#include "relpos/layouts/builtin_layouts.hpp"

#include <charconv>
#include <functional>
#include <numeric>

#include <fmt/format.h>

#include "relpos/errors.hpp"
#include "relpos/layouts/complex_builder.hpp"

namespace relpos {
namespace {

Layout monomer() { return ComplexBuilder().residue_range({0, 0, 0}, 1, 40).build(); }

Layout homodimer() {
  return ComplexBuilder().residue_range({0, 0, 0}, 1, 20).residue_range({1, 0, 1}, 1, 20).build();
}

Layout homotrimer() {
  ComplexBuilder builder;
  for (std::int64_t copy = 0; copy < 3; ++copy) builder.residue_range({copy, 0, copy}, 1, 12);
  return builder.build();
}

Layout protein_ligand() {
  return ComplexBuilder().residue_range({0, 0, 0}, 1, 24).ligand({1, 1, 0}, 10).ion({2, 2, 0}).build();
}

Layout modified_residue() {
  const ChainIds chain{0, 0, 0};
  return ComplexBuilder()
      .residue_range(chain, 1, 10)
      .per_atom(chain, 11, 7)  // e.g. a phosphoserine, every heavy atom a token
      .residue_range(chain, 12, 5)
      .residue_range(chain, 30, 10)  // unresolved loop: numbering jumps 16 -> 30
      .build();
}

Layout heteromer_ligand() {
  return ComplexBuilder()
      .residue_range({0, 0, 0}, 1, 16)
      .residue_range({1, 1, 0}, 1, 14)
      .ligand({2, 2, 0}, 8)
      .ligand({3, 2, 1}, 8)  // a second copy of the same ligand: same entity, next sym_id
      .ion({4, 3, 0})
      .build();
}

Layout antibody_antigen() {
  ComplexBuilder builder;
  const ChainIds heavy{0, 0, 0}, light{1, 1, 0}, antigen{2, 2, 0};
  builder.residue_range(heavy, 1, 12).residue_range(heavy, 15, 8).residue_range(heavy, 95, 6);
  builder.residue_range(light, 0, 10).residue_range(light, 20, 8);
  builder.residue_range(antigen, 301, 18);  // antigen numbered from its UniProt offset
  return builder.build();
}

Layout cropped_complex() {
  const Layout full = ComplexBuilder()
                          .residue_range({0, 0, 0}, 1, 60)
                          .residue_range({1, 0, 1}, 1, 60)
                          .ligand({2, 1, 0}, 12)
                          .residue_range({3, 2, 0}, 101, 40)
                          .build();
  std::vector<std::int64_t> keep;
  const auto take = [&](std::int64_t first, std::int64_t count) {
    for (std::int64_t k = 0; k < count; ++k) keep.push_back(first + k);
  };
  take(30, 20);   // chain A residues 31..50
  take(62, 14);   // chain B residues 3..16
  take(120, 12);  // the whole ligand
  take(141, 8);   // chain C residues 110..117
  return crop(full, keep);
}

Layout batch3() {
  const std::vector<Layout> elements = {
      ComplexBuilder().residue_range({0, 0, 0}, 5, 24).build(),
      ComplexBuilder().residue_range({0, 0, 0}, 1, 12).residue_range({1, 0, 1}, 1, 12).build(),
      ComplexBuilder().residue_range({0, 0, 0}, 1, 16).ligand({1, 1, 0}, 7).ion({2, 2, 0}).build(),
  };
  return Layout::stack(elements);
}

// A homotetramer with a modified residue and a numbering gap per copy, a
// homodimer numbered from 201, two copies of a ligand, a peptide and ions,
// sized to exactly `tokens`.
Layout large_complex(std::int64_t tokens) {
  ComplexBuilder builder;
  std::int64_t asym = 0;
  const std::int64_t tetramer_residues = (55 * tokens / 100) / 4 - 5;  // + 6 atoms of the modified residue - 1
  for (std::int64_t copy = 0; copy < 4; ++copy) {
    const ChainIds chain{asym++, 0, copy};
    const std::int64_t before = tetramer_residues / 3;
    const std::int64_t middle = tetramer_residues / 3;
    const std::int64_t after = tetramer_residues - before - middle - 1;
    builder.residue_range(chain, 1, before).per_atom(chain, before + 1, 6).residue_range(chain, before + 2, middle);
    builder.residue_range(chain, before + middle + 12, after);  // a 10-residue numbering gap
  }
  const std::int64_t dimer_residues = (30 * tokens / 100) / 2;
  for (std::int64_t copy = 0; copy < 2; ++copy) builder.residue_range({asym++, 1, copy}, 201, dimer_residues);
  const std::int64_t ligand_atoms = std::max<std::int64_t>(3, tokens / 50);
  for (std::int64_t copy = 0; copy < 2; ++copy) builder.ligand({asym++, 2, copy}, ligand_atoms);
  const std::int64_t remaining = tokens - builder.tokens();
  const std::int64_t ions = std::min<std::int64_t>(remaining, 12);
  if (remaining > ions) builder.residue_range({asym++, 3, 0}, 1, remaining - ions);
  for (std::int64_t copy = 0; copy < ions; ++copy) builder.ion({asym++, 4, copy});
  return builder.build();
}

// Boltz-2 style: cyclic peptides (even period 8, odd period 7, a cyclic
// homodimer of period 6) beside a linear chain whose numbering jumps by 5996
// and 14996 (folded by the 10000 fallback) and a ligand with an ion.
Layout cyclic_peptides() {
  ComplexBuilder builder;
  builder.residue_range({0, 0, 0, 8}, 1, 8).residue_range({1, 1, 0, 7}, 101, 7);
  for (std::int64_t copy = 0; copy < 2; ++copy) builder.residue_range({2 + copy, 2, copy, 6}, 1, 6);
  const ChainIds linear{4, 3, 0};
  builder.residue_range(linear, 1, 5).residue_range(linear, 6001, 5).residue_range(linear, 21001, 3);
  return builder.ligand({5, 4, 0}, 3).ion({6, 5, 0}).build();
}

// Ties of the wrap: a period-8 chain with unresolved residues, numbered so
// that offsets P/2, 3P/2 and 5P/2 occur; a period-6 chain (ties at 3); and a
// chain whose tokens carry two periods (6 and none), where only the column's counts.
Layout cyclic_ties() {
  ComplexBuilder builder;
  builder.residues({0, 0, 0, 8}, {1, 2, 3, 5, 9, 13, 17, 21});
  builder.residue_range({1, 1, 0, 6}, 1, 6);
  builder.residues({2, 2, 0, 6}, {1, 3, 5}).residues({2, 2, 0, 0}, {2, 4, 10, 14});
  return builder.build();
}

// Numbering beyond float32's integers: a period-5 cyclic chain numbered from
// 2^25 with a gap of 2^24 + 1 (fl32(o) is rounded before the wrap), a linear
// chain beside it near 2^31.
Layout cyclic_huge_numbering() {
  constexpr std::int64_t kBase = std::int64_t{1} << 25;
  constexpr std::int64_t kGap = (std::int64_t{1} << 24) + 1;
  ComplexBuilder builder;
  builder.residues({0, 0, 0, 5}, {kBase, kBase + 1, kBase + 2, kBase + kGap + 2, kBase + kGap + 3});
  builder.residue_range({1, 1, 0, 5}, kBase + 7, 5);
  builder.residues({2, 2, 0}, {2147483000, 2147483001, 2147490000, 2147490001});
  return builder.build();
}

// [2, 24]: a cyclic complex batched with a linear one whose numbering jumps
// by 6000: Boltz decides the wrap over the whole batch, so the linear element
// folds too.
Layout cyclic_batch() {
  const std::vector<Layout> elements = {
      ComplexBuilder().residue_range({0, 0, 0, 8}, 1, 8).residue_range({1, 1, 0}, 1, 16).build(),
      ComplexBuilder().with_periods().residue_range({0, 0, 0}, 1, 12).residue_range({0, 0, 0}, 6013, 12).build(),
  };
  return Layout::stack(elements);
}

struct Entry {
  const char* name;
  const char* description;
  Layout (*make)();
};

constexpr Entry kEntries[] = {
    {"monomer", "one 40-residue chain numbered 1..40", monomer},
    {"homodimer", "two copies of a 20-residue chain: same entity_id, sym_id 0 and 1", homodimer},
    {"homotrimer", "three copies of a 12-residue chain: sym_id 0, 1, 2 (|difference| up to 2)", homotrimer},
    {"protein_ligand", "24-residue protein, 10-atom ligand (one token per atom, one residue_index), an ion",
     protein_ligand},
    {"modified_residue",
     "one chain: residues 1..10, residue 11 modified and tokenised per atom (7 tokens), 12..16, gap, 30..39",
     modified_residue},
    {"heteromer_ligand",
     "two different chains (16 + 14 residues), two copies of an 8-atom ligand (same entity, sym_id 0/1), an ion",
     heteromer_ligand},
    {"antibody_antigen",
     "heavy chain 1..12,15..22,95..100; light chain 0..9,20..27; antigen numbered 301..318", antibody_antigen},
    {"cropped_complex",
     "54-token crop of a 172-token homodimer + ligand + chain: token_index non-contiguous, starting at 30",
     cropped_complex},
    {"batch3", "[3, 24]: a monomer, a homodimer, a protein with a 7-atom ligand and an ion", batch3},
    {"cyclic_peptides",
     "Boltz-2 style: cyclic peptides of period 8 and 7, a cyclic homodimer of period 6, a linear chain numbered "
     "1..5, 6001..6005, 21001..21003, a ligand and an ion (cyclic_period given)",
     cyclic_peptides},
    {"cyclic_ties",
     "period-8 chain numbered 1,2,3,5,9,13,17,21 (offsets P/2, 3P/2, 5P/2), period-6 chain, one chain with periods 6 "
     "and 0",
     cyclic_ties},
    {"cyclic_huge_numbering",
     "period-5 cyclic chains numbered from 2^25 with a 2^24 + 1 gap, a linear chain near 2^31", cyclic_huge_numbering},
    {"cyclic_batch", "[2, 24]: a cyclic complex and a linear one whose numbering jumps by 6000 (whole-batch wrap)",
     cyclic_batch},
};

constexpr std::string_view kLargePrefix = "large_complex_";

}  // namespace

std::vector<BuiltinLayoutInfo> builtin_layouts() {
  std::vector<BuiltinLayoutInfo> all;
  for (const Entry& entry : kEntries) all.push_back({entry.name, entry.description});
  all.push_back({"large_complex_<N>",
                 fmt::format("exactly N tokens ({} <= N <= {}): homotetramer (sym_id 0..3, modified residue and gap "
                             "per copy), homodimer numbered from 201, two ligand copies, a peptide, ions",
                             kLargeComplexMinTokens, kLargeComplexMaxTokens)});
  return all;
}

std::optional<Layout> find_builtin_layout(std::string_view name) {
  for (const Entry& entry : kEntries)
    if (name == entry.name) return entry.make();
  if (name.starts_with(kLargePrefix)) {
    const std::string_view digits = name.substr(kLargePrefix.size());
    std::int64_t tokens = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), tokens);
    if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() || digits.front() == '0')
      return std::nullopt;
    if (tokens < kLargeComplexMinTokens || tokens > kLargeComplexMaxTokens)
      throw InputError(fmt::format("layout '{}': N must be between {} and {}", name, kLargeComplexMinTokens,
                                   kLargeComplexMaxTokens));
    return large_complex(tokens);
  }
  return std::nullopt;
}

Layout builtin_layout(std::string_view name) {
  if (auto layout = find_builtin_layout(name)) return std::move(*layout);
  std::vector<std::string> names;
  for (const auto& info : builtin_layouts()) names.push_back(info.name);
  throw InputError(fmt::format("'{}' is neither a layout JSON file nor a built-in layout ({})", name,
                               fmt::join(names, ", ")));
}

}  // namespace relpos
