// The bins of SPEC.md at every boundary. Expected bins are worked out by hand
// from the SPEC formulas (offset = row - column, + r_max, clipped to [0, 2 r_max]).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "relpos/bins.hpp"

namespace relpos {
namespace {

constexpr BinParams kAf3{32, 2, true};
constexpr BinParams kPaper{32, 2, false};

TokenIds token(std::int64_t asym, std::int64_t residue, std::int64_t entity, std::int64_t sym, std::int64_t index) {
  return TokenIds{asym, residue, entity, sym, index};
}

TEST(ClippedOffset, ClipsAtBothEnds) {
  EXPECT_EQ(clipped_offset(10, 10, 32), 32);
  EXPECT_EQ(clipped_offset(42, 10, 32), 64);   // +32: the last unclipped bin
  EXPECT_EQ(clipped_offset(43, 10, 32), 64);   // +33: clipped
  EXPECT_EQ(clipped_offset(10, 42, 32), 0);    // -32
  EXPECT_EQ(clipped_offset(10, 43, 32), 0);    // -33: clipped
  EXPECT_EQ(clipped_offset(11, 10, 32), 33);
  EXPECT_EQ(clipped_offset(9, 10, 32), 31);
}

TEST(ClippedOffset, RMaxZeroHasOneBin) {
  EXPECT_EQ(clipped_offset(5, 5, 0), 0);
  EXPECT_EQ(clipped_offset(6, 5, 0), 0);
  EXPECT_EQ(clipped_offset(4, 5, 0), 0);
}

TEST(ClippedOffset, NeverOverflows) {
  constexpr auto i32min = std::numeric_limits<std::int32_t>::min();
  constexpr auto i32max = std::numeric_limits<std::int32_t>::max();
  constexpr auto i64min = std::numeric_limits<std::int64_t>::min();
  constexpr auto i64max = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(clipped_offset(i32max, i32min, 32), 64);
  EXPECT_EQ(clipped_offset(i32min, i32max, 32), 0);
  EXPECT_EQ(clipped_offset(i64max, i64min, 32), 64);  // the difference does not even fit int64
  EXPECT_EQ(clipped_offset(i64min, i64max, 32), 0);
  EXPECT_EQ(clipped_offset(i64min + 5, i64min, 32), 37);
  EXPECT_EQ(clipped_offset(i64max - 5, i64max, 32), 27);
}

TEST(PairBins, SameChainNeighbours) {
  const PairBins bins = pair_bins(kAf3, token(0, 7, 0, 0, 7), token(0, 5, 0, 0, 5));
  EXPECT_EQ(bins.d_res, 34);
  EXPECT_EQ(bins.d_tok, 65);  // different residues: the "other" token bin
  EXPECT_TRUE(bins.same_entity);
  EXPECT_EQ(bins.d_chain, 2);  // same sym: offset 0 + s_max
  EXPECT_TRUE(bins.same_chain);
}

TEST(PairBins, OtherChainBins) {
  const PairBins bins = pair_bins(kAf3, token(0, 7, 0, 0, 7), token(1, 7, 1, 0, 50));
  EXPECT_EQ(bins.d_res, 65);
  EXPECT_EQ(bins.d_tok, 65);
  EXPECT_FALSE(bins.same_entity);
  EXPECT_EQ(bins.d_chain, 5);  // different entity: 2 s_max + 1
}

TEST(PairBins, SameResidueDifferentTokenUsesTokenOffset) {
  // A residue tokenised per atom: tokens 20 and 23 share residue 9.
  const PairBins bins = pair_bins(kAf3, token(0, 9, 0, 0, 20), token(0, 9, 0, 0, 23));
  EXPECT_EQ(bins.d_res, 32);
  EXPECT_EQ(bins.d_tok, 29);
  const PairBins far = pair_bins(kAf3, token(0, 9, 0, 0, 100), token(0, 9, 0, 0, 20));
  EXPECT_EQ(far.d_tok, 64);  // +80 clipped
}

TEST(PairBins, DifferentResidueSameTokenOffsetIsOther) {
  const PairBins bins = pair_bins(kAf3, token(0, 10, 0, 0, 4), token(0, 11, 0, 0, 4));
  EXPECT_EQ(bins.d_res, 31);
  EXPECT_EQ(bins.d_tok, 65);
}

TEST(PairBins, SameResidueIndexInAnotherChainIsOther) {
  const PairBins bins = pair_bins(kAf3, token(0, 0, 1, 0, 3), token(2, 0, 1, 1, 4));
  EXPECT_EQ(bins.d_res, 65);
  EXPECT_EQ(bins.d_tok, 65);
}

TEST(PairBins, SameEntityDifferentChainKeepsSymOffset) {
  const PairBins bins = pair_bins(kAf3, token(3, 1, 0, 3, 0), token(1, 1, 0, 1, 0));
  EXPECT_FALSE(bins.same_chain);
  EXPECT_TRUE(bins.same_entity);
  EXPECT_EQ(bins.d_res, 65);
  EXPECT_EQ(bins.d_chain, 4);  // sym +2 -> 2 + 2
}

TEST(PairBins, SymOffsetClipsAtSMax) {
  EXPECT_EQ(pair_bins(kAf3, token(5, 1, 0, 5, 0), token(0, 1, 0, 0, 0)).d_chain, 4);  // +5 clipped
  EXPECT_EQ(pair_bins(kAf3, token(0, 1, 0, 0, 0), token(5, 1, 0, 5, 0)).d_chain, 0);  // -5 clipped
  EXPECT_EQ(pair_bins(kAf3, token(0, 1, 0, 0, 0), token(1, 1, 0, 1, 0)).d_chain, 1);
}

TEST(PairBins, RMaxZero) {
  constexpr BinParams zero{0, 0, true};
  const PairBins same = pair_bins(zero, token(0, 1, 0, 0, 0), token(0, 9, 0, 0, 8));
  EXPECT_EQ(same.d_res, 0);
  EXPECT_EQ(same.d_tok, 1);
  EXPECT_EQ(same.d_chain, 0);
  const PairBins other = pair_bins(zero, token(0, 1, 0, 0, 0), token(1, 1, 1, 0, 8));
  EXPECT_EQ(other.d_res, 1);
  EXPECT_EQ(other.d_chain, 1);
}

TEST(PairBins, Int32ExtremesInOneChain) {
  constexpr auto lo = std::numeric_limits<std::int32_t>::min();
  constexpr auto hi = std::numeric_limits<std::int32_t>::max();
  EXPECT_EQ(pair_bins(kAf3, token(0, hi, 0, 0, hi), token(0, lo, 0, 0, lo)).d_res, 64);
  EXPECT_EQ(pair_bins(kAf3, token(0, lo, 0, 0, lo), token(0, hi, 0, 0, hi)).d_res, 0);
}

TEST(PairBins, PaperVariantKeysChainTermOnDifferentChain) {
  // Same chain: the paper's condition (NOT same_chain) is false -> 2 s_max + 1.
  EXPECT_EQ(pair_bins(kPaper, token(0, 1, 0, 0, 0), token(0, 2, 0, 0, 1)).d_chain, 5);
  // Different chains of different entities: clipped sym offset.
  EXPECT_EQ(pair_bins(kPaper, token(0, 1, 0, 1, 0), token(1, 1, 1, 0, 1)).d_chain, 3);
  // af3 gives the opposite in both cases.
  EXPECT_EQ(pair_bins(kAf3, token(0, 1, 0, 0, 0), token(0, 2, 0, 0, 1)).d_chain, 2);
  EXPECT_EQ(pair_bins(kAf3, token(0, 1, 0, 1, 0), token(1, 1, 1, 0, 1)).d_chain, 5);
}

// ---- Boltz cyclic offsets (SPEC.md part 2), expected bins worked out by hand ----

constexpr BinParams kWrap{32, 2, true, true};

// Row and column of one chain: residue a vs residue b, the column's period.
std::int32_t wrapped_bin(std::int64_t a, std::int64_t b, std::int64_t column_period, std::int64_t row_period = 0) {
  const TokenIds row{0, a, 0, 0, 0, row_period};
  const TokenIds col{0, b, 0, 0, 1, column_period};
  return pair_bins(kWrap, row, col).d_res;
}

TEST(BoltzWrap, TiesRoundHalfToEven) {
  // P = 8: o = 4 -> q = round(0.5) = 0 -> 4; o = -4 -> q = -0 -> -4;
  // o = 12 -> q = round(1.5) = 2 -> -4; o = -12 -> 4; o = 20 -> q = round(2.5) = 2 -> 4.
  EXPECT_EQ(wrapped_bin(5, 1, 8), 32 + 4);
  EXPECT_EQ(wrapped_bin(1, 5, 8), 32 - 4);
  EXPECT_EQ(wrapped_bin(13, 1, 8), 32 - 4);
  EXPECT_EQ(wrapped_bin(1, 13, 8), 32 + 4);
  EXPECT_EQ(wrapped_bin(21, 1, 8), 32 + 4);
}

TEST(BoltzWrap, OddPeriodsWrapToTheNearestMultiple) {
  EXPECT_EQ(wrapped_bin(6, 1, 7), 32 - 2);   // 5 / 7 -> q = 1 -> -2
  EXPECT_EQ(wrapped_bin(1, 6, 7), 32 + 2);   // -5 -> 2
  EXPECT_EQ(wrapped_bin(4, 1, 7), 32 + 3);   // 3 / 7 -> q = 0
  EXPECT_EQ(wrapped_bin(1, 1, 7), 32);
}

TEST(BoltzWrap, NonCyclicColumnsFoldWithTheFallbackPeriod) {
  EXPECT_EQ(wrapped_bin(5001, 1, 0), 64);   // o = 5000: 0.5 -> q = 0, stays 5000: clipped high
  EXPECT_EQ(wrapped_bin(5002, 1, 0), 0);    // o = 5001: q = 1 -> -4999: clipped low
  EXPECT_EQ(wrapped_bin(6001, 1, 0), 0);    // 6000 -> -4000
  EXPECT_EQ(wrapped_bin(10011, 1, 0), 42);  // 10010 -> 10
  EXPECT_EQ(wrapped_bin(15001, 1, 0), 0);   // 15000: 1.5 -> q = 2 -> -5000
  EXPECT_EQ(wrapped_bin(1, 15001, 0), 64);  // -15000: q = -2 -> 5000
  EXPECT_EQ(wrapped_bin(31, 1, 0), 62);     // |o| <= 5000 unchanged
}

TEST(BoltzWrap, ThePeriodIsTheColumnTokens) {
  // o = 12: with the column's fallback 10000 it stays 12; with the row's period 8 it would be -4.
  EXPECT_EQ(wrapped_bin(13, 1, 0, 8), 32 + 12);
  EXPECT_EQ(wrapped_bin(13, 1, 8, 0), 32 - 4);
}

TEST(BoltzWrap, OffsetsBeyond2To24AreRoundedToFloat32First) {
  // o = 2^24 + 1, P = 3: fl32(o) = 2^24; 2^24 / 3 = 5592405.33 -> fl32 5592405.5 ->
  // q = 5592406 (half to even); 3 q = 16777218 exactly; 2^24 - 16777218 = -2.
  // (Exact integers would give 2^24 + 1 - 3 * 5592406 = -1.)
  constexpr std::int64_t kBase = std::int64_t{1} << 30;
  EXPECT_EQ(wrapped_bin(kBase + (1 << 24) + 1, kBase, 3), 32 - 2);
}

TEST(BoltzWrap, IdsAtTheInt64LimitsNeverOverflow) {
  constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  // |o| ~ 2^64, P = 10000: fl32(o) / P ~ 1.8e15, and fl32(o) - P q is a multiple
  // of a large power of two: the result is far outside [-r, r] or zero, never UB.
  const std::int32_t up = wrapped_bin(hi, lo, 0), down = wrapped_bin(lo, hi, 0);
  EXPECT_TRUE(up >= 0 && up <= 64) << up;
  EXPECT_EQ(up + down, 64);  // antisymmetric: fl32(-o) = -fl32(o) and every step is odd
}

TEST(BoltzWrap, OnlyTheResidueTermChanges) {
  const TokenIds row{0, 13, 0, 0, 7, 8}, col{0, 1, 0, 0, 3, 8};
  const PairBins plain = pair_bins(kAf3, row, col), wrapped = pair_bins(kWrap, row, col);
  EXPECT_EQ(plain.d_res, 32 + 12);
  EXPECT_EQ(wrapped.d_res, 32 - 4);
  EXPECT_EQ(plain.d_tok, wrapped.d_tok);
  EXPECT_EQ(plain.d_chain, wrapped.d_chain);
  // Other chains keep the other-chain bin whatever the periods.
  EXPECT_EQ(pair_bins(kWrap, row, TokenIds{1, 1, 0, 0, 3, 8}).d_res, 65);
}

TEST(BoltzWrap, InForceOnlyWhenCyclicIsBoltzAndSomeTokenOfTheWholeInputIsCyclic) {
  Config config;
  EXPECT_FALSE(bin_params(config, true).wrap);
  config.cyclic = Cyclic::boltz;
  EXPECT_FALSE(bin_params(config, false).wrap);
  EXPECT_TRUE(bin_params(config, true).wrap);
}

TEST(HotColumns, OffsetsFollowTheConcatenation) {
  // r_max = 32, s_max = 2: residue 0..65, token 66..131, entity 132, chain 133..138.
  const PairBins bins{34, 30, 3, true, true};
  const HotColumns hot = hot_columns(kAf3, bins);
  EXPECT_EQ(hot.residue, 34);
  EXPECT_EQ(hot.token, 66 + 30);
  EXPECT_EQ(hot.entity, 132);
  EXPECT_EQ(hot.chain, 133 + 3);
  const HotColumns no_entity = hot_columns(kAf3, PairBins{65, 65, 5, false, false});
  EXPECT_EQ(no_entity.entity, -1);
  EXPECT_EQ(no_entity.chain, 138);  // the last of F = 139 columns
  EXPECT_EQ(Config{}.feature_width(), 139);
}

}  // namespace
}  // namespace relpos
