#include "relpos/harness/gen_layout.hpp"

#include <limits>

#include "relpos/harness/gen_choice.hpp"

// Every generator here is a tuple of independent parts (gen::build / gen::apply),
// never gen::exec: RapidCheck shrinks an exec recipe front to back only once,
// so a part that becomes shrinkable after a later one shrank would stay big.
namespace relpos::harness::gen {
namespace {

using rc::gen::just;

// Up to `max_count` elements (scaled by the size); any element can be removed
// when shrinking, down to none (the builder turns an empty list into one ion
// or one residue, the smallest thing it can be).
template <class T>
rc::Gen<std::vector<T>> some(rc::Gen<T> element, int max_count) {
  return rc::gen::withSize([element, max_count](int size) {
    const int count = std::max(1, max_count * size / kFullSize);
    return rc::gen::resize(count, rc::gen::container<std::vector<T>>(rc::gen::resize(size, element)));
  });
}

ChainSpec make_chain(ChainKind kind, std::int32_t copies, std::int64_t first_sym, Numbering numbering,
                     std::int64_t author_offset, std::int64_t limit_offset, std::vector<ResidueSpec> residues,
                     std::int32_t ligand_atoms, Periodicity periodicity, std::int64_t period_delta) {
  ChainSpec spec;
  spec.kind = kind;
  spec.periodicity = kind == ChainKind::polymer ? periodicity : Periodicity::linear;
  spec.period_delta = period_delta;
  spec.copies = copies;
  spec.first_sym = first_sym;
  spec.numbering = numbering;
  spec.offset = numbering == Numbering::offset ? author_offset : limit_offset;
  switch (kind) {
    case ChainKind::polymer:
      spec.residues = residues.empty() ? std::vector<ResidueSpec>{ResidueSpec{}} : std::move(residues);
      break;
    case ChainKind::ligand: spec.residues = {ResidueSpec{1, ligand_atoms}}; break;
    case ChainKind::ion: spec.residues = {ResidueSpec{1, 1}}; break;
  }
  return spec;
}

}  // namespace

rc::Gen<ResidueSpec> residue() {
  // Gaps near 2^31 and 2^32 are where int32 arithmetic wraps; near 5000,
  // 10000 and 15000 where Boltz's fallback period folds an offset (or not);
  // beyond 2^24 where float32 stops holding every integer.
  const std::int64_t two24 = std::int64_t{1} << 24;
  const std::int64_t two31 = std::int64_t{1} << 31;
  const std::int64_t two32 = std::int64_t{1} << 32;
  auto step = weighted_one_of<std::int64_t>({
      {860, just<std::int64_t>(1)},
      {60, uniform<std::int64_t>(2, 12)},
      {40, uniform<std::int64_t>(12, 400)},
      {10, near(5000, 10)},
      {6, near(10000, 10)},
      {4, near(15000, 10)},
      {5, near(two24, 4096)},
      {5, near(two31, 64)},
      {5, near(two32, 64)},
  });
  auto atoms = weighted_one_of<std::int32_t>({{92, just<std::int32_t>(1)}, {8, uniform<std::int32_t>(2, 15)}});
  return rc::gen::construct<ResidueSpec>(std::move(step), std::move(atoms));
}

rc::Gen<ChainSpec> chain() {
  return rc::gen::apply(
      &make_chain,
      // Ion first: shrinking the kind must not turn a one-token chain into a long polymer.
      weighted_choice<ChainKind>({{12, ChainKind::ion}, {28, ChainKind::ligand}, {60, ChainKind::polymer}}),
      weighted_one_of<std::int32_t>(
          {{75, just<std::int32_t>(1)}, {15, uniform<std::int32_t>(2, 5)}, {10, uniform<std::int32_t>(5, 8)}}),
      weighted_choice<std::int64_t>({{3, 0}, {2, 1}}),
      weighted_choice<Numbering>({{30, Numbering::from_one},
                                  {20, Numbering::from_zero},
                                  {25, Numbering::offset},
                                  {8, Numbering::near_int32_max},
                                  {7, Numbering::near_int32_min},
                                  {5, Numbering::near_int64_max},
                                  {5, Numbering::near_int64_min}}),
      weighted_one_of<std::int64_t>({{6, uniform<std::int64_t>(-20, 1000)},
                                     {2, uniform<std::int64_t>(-100000, 100000)},
                                     {1, uniform<std::int64_t>((std::int64_t{1} << 24) - 64, std::int64_t{1} << 26)}}),
      uniform<std::int64_t>(0, 4),
      some(residue(), 64),  // polymer length grows with the size
      rc::gen::inRange<std::int32_t>(1, 61),  // ligand atoms grow with the size
      // Linear first: shrinking turns a cyclic chain back into a plain one.
      weighted_choice<Periodicity>({{60, Periodicity::linear}, {34, Periodicity::cyclic}, {6, Periodicity::mixed}}),
      weighted_one_of<std::int64_t>({{8, just<std::int64_t>(0)}, {2, uniform<std::int64_t>(-6, 7)}}));
}

rc::Gen<ComplexSpec> complex() {
  const std::int64_t far = std::int64_t{1} << 40;
  const std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();
  const std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
  // A crop never shrinks away (that would bring back every token it removed);
  // it shrinks by keeping fewer tokens.
  auto crop = rc::gen::build<CropSpec>(
      rc::gen::set(&CropSpec::kind, rc::gen::noShrink(weighted_choice<CropKind>(
                                        {{60, CropKind::none}, {20, CropKind::window}, {20, CropKind::subset}}))),
      rc::gen::set(&CropSpec::keep_permille, uniform<std::int32_t>(100, 1001)),
      rc::gen::set(&CropSpec::start_permille, uniform<std::int32_t>(0, 1001)), rc::gen::set(&CropSpec::seed, seed()));
  return rc::gen::build<ComplexSpec>(
      rc::gen::set(&ComplexSpec::chains, some(chain(), 5)),
      rc::gen::set(&ComplexSpec::asym_base,
                   weighted_one_of<std::int64_t>({{8, uniform<std::int64_t>(0, 3)}, {1, uniform<std::int64_t>(-far, far)}})),
      rc::gen::set(&ComplexSpec::entity_base,
                   weighted_one_of<std::int64_t>({{8, uniform<std::int64_t>(0, 3)}, {1, uniform<std::int64_t>(-far, far)}})),
      rc::gen::set(&ComplexSpec::token_base,
                   weighted_one_of<std::int64_t>({{70, just<std::int64_t>(0)},
                                                  {15, uniform<std::int64_t>(1, 5000)},
                                                  {8, uniform<std::int64_t>(int32_max - 5000, int32_max)},
                                                  {7, uniform<std::int64_t>(int64_max - 5000, int64_max)}})),
      rc::gen::set(&ComplexSpec::crop, crop),
      rc::gen::set(&ComplexSpec::permuted, weighted_choice<bool>({{85, false}, {15, true}})),
      rc::gen::set(&ComplexSpec::permutation_seed, seed()));
}

rc::Gen<LayoutSpec> layout_spec() {
  // Three slots, each present or absent (absent first, so that shrinking can
  // drop any element of a batch, the first included).
  const auto slot = [](int present_percent) {
    return rc::gen::pair(weighted_choice<bool>({{100 - present_percent, false}, {present_percent, true}}), complex());
  };
  return rc::gen::apply(
      [](std::pair<bool, ComplexSpec> a, std::pair<bool, ComplexSpec> b, std::pair<bool, ComplexSpec> c, bool batched) {
        LayoutSpec spec;
        for (auto* slot : {&a, &b, &c})
          if (slot->first) spec.elements.push_back(std::move(slot->second));
        if (spec.elements.empty()) spec.elements.push_back(std::move(a.second));
        spec.batched = batched || spec.elements.size() > 1;
        return spec;
      },
      slot(92), slot(12), slot(12), weighted_choice<bool>({{85, false}, {15, true}}));
}

}  // namespace relpos::harness::gen
