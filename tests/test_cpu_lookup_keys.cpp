// The CPU lookup's vectorised pair-table keys against the keys derived from
// pair_bins() (the one definition of the bins), column by column. Instantiated
// for SSE2 (two int64 lanes), which every x86-64 CPU runs; the wider kernels
// are held to the reference through their whole output in test_cpu_lookup.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

#include "relpos/backends/cpu_lookup_kernel_impl.hpp"

namespace relpos::detail {
namespace {

struct Columns {
  std::vector<std::int64_t> asym, residue, entity, sym, token;
};

// Few distinct values, so same chain / same entity / same residue all occur,
// around an offset up to +-2^40 (small_ids holds below 2^61).
rc::Gen<Columns> columns(int count) {
  return rc::gen::exec([count] {
    const auto offset = *rc::gen::inRange<std::int64_t>(-(std::int64_t{1} << 40), std::int64_t{1} << 40);
    Columns c;
    for (int k = 0; k < count; ++k) {
      c.asym.push_back(*rc::gen::inRange<std::int64_t>(0, 3));
      c.residue.push_back(offset + *rc::gen::inRange<std::int64_t>(-40, 41));
      c.entity.push_back(*rc::gen::inRange<std::int64_t>(0, 2));
      c.sym.push_back(offset + *rc::gen::inRange<std::int64_t>(-4, 5));
      c.token.push_back(k);
    }
    return c;
  });
}

RC_GTEST_PROP(CpuLookupKeys, VectorisedKeysEqualThoseOfPairBins, ()) {
  const int count = *rc::gen::inRange(0, 40);
  const Columns c = *columns(count + 1);
  LookupRows rows;
  rows.params = BinParams{*rc::gen::inRange<std::int64_t>(0, 12), *rc::gen::inRange<std::int64_t>(0, 6),
                          *rc::gen::arbitrary<bool>()};
  rows.chain_keys = chain_key_count(rows.params);
  rows.asym_id = c.asym.data();
  rows.residue_index = c.residue.data();
  rows.entity_id = c.entity.data();
  rows.sym_id = c.sym.data();
  rows.token_index = c.token.data();
  rows.small_ids = true;
  // The last column plays the row token; the keys cover columns [j0, count).
  const TokenIds row{c.asym[count], c.residue[count], c.entity[count], c.sym[count], c.token[count]};
  const std::int64_t j0 = count == 0 ? 0 : *rc::gen::inRange(0, count);
  const std::int64_t length = count - j0;

  std::vector<std::int64_t> vectorised(static_cast<std::size_t>(length)), expected(vectorised.size());
  keys_vectorised<xsimd::sse2>(rows, 0, row, j0, length, vectorised.data());
  for (std::int64_t k = 0; k < length; ++k) {
    const std::int64_t j = j0 + k;
    const TokenIds col{c.asym[j], c.residue[j], c.entity[j], c.sym[j], c.token[j]};
    const PairBins bins = pair_bins(rows.params, row, col);
    const bool token_term_is_other = !(bins.same_chain && col.residue_index == row.residue_index);
    expected[k] = token_term_is_other ? bins.d_res * rows.chain_keys + chain_key(rows.params, bins) : -1;
  }
  RC_ASSERT(vectorised == expected);
}

}  // namespace
}  // namespace relpos::detail
