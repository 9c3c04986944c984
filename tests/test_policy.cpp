#include <gtest/gtest.h>

#include "relpos/errors.hpp"
#include "relpos/policy.hpp"

namespace relpos {
namespace {

TEST(Policy, ParsesEveryForm) {
  EXPECT_EQ(Policy::parse("bitwise"), Policy::bitwise());
  EXPECT_EQ(Policy::parse("bound:6"), Policy::bound(6));
  EXPECT_EQ(Policy::parse("bound:2.5"), Policy::bound(2.5));
  EXPECT_EQ(Policy::parse("rbound:6"), Policy::rounded_bound(6));
  EXPECT_EQ(Policy::parse("ulp:4"), Policy::ulp(4));
  EXPECT_EQ(Policy::parse("allclose"), Policy::allclose());
  EXPECT_EQ(Policy::parse("allclose:1e-3,1e-6"), Policy::allclose(1e-3, 1e-6));
  Policy nan = Policy::bitwise();
  nan.nan_equal = true;
  EXPECT_EQ(Policy::parse("bitwise+nan"), nan);
}

TEST(Policy, StrRoundTrips) {
  for (const char* text :
       {"bitwise", "bound:6", "rbound:6", "rbound:1.5+nan", "ulp:1", "allclose", "allclose:0.001,1e-06", "bound:6+nan"})
    EXPECT_EQ(Policy::parse(Policy::parse(text).str()), Policy::parse(text)) << text;
}

TEST(Policy, RejectsMalformedText) {
  for (const char* text : {"", "exact", "bound", "bound:", "bound:x", "bound:-1", "ulp:1:2", "allclose:1", "bitwise:3",
                           "allclose:a,b", "bound:inf", "rbound", "rbound:-2"})
    EXPECT_THROW(Policy::parse(text), InputError) << text;
}

TEST(Policy, TorchTestingDefaultsPerPrecision) {
  const Policy p = Policy::allclose();
  EXPECT_DOUBLE_EQ(p.effective_rtol(Precision::fp32), 1.3e-6);
  EXPECT_DOUBLE_EQ(p.effective_atol(Precision::fp32), 1e-5);
  EXPECT_DOUBLE_EQ(p.effective_rtol(Precision::bf16), 1.6e-2);
  EXPECT_DOUBLE_EQ(p.effective_atol(Precision::bf16), 1e-5);
}

TEST(Policy, ReorderedBackendsAreHeldToBound6InFp32AndRbound6InTheBf16Regimes) {
  EXPECT_EQ(policy_for_backend(Policy::bitwise(), false, Precision::bf16), Policy::rounded_bound(6));
  EXPECT_EQ(policy_for_backend(Policy::bitwise(), false, Precision::bf16_autocast), Policy::rounded_bound(6));
  EXPECT_EQ(policy_for_backend(Policy::bound(3), false, Precision::bf16), Policy::bound(3));
  EXPECT_EQ(policy_for_backend(Policy::bitwise(), false), Policy::bound(6));
  EXPECT_EQ(policy_for_backend(Policy::ulp(1), false), Policy::bound(6));
  EXPECT_EQ(policy_for_backend(Policy::bound(2), false), Policy::bound(2));
  EXPECT_EQ(policy_for_backend(Policy::bitwise(), true), Policy::bitwise());
}

TEST(Precision, UnitRoundoff) {
  EXPECT_EQ(unit_roundoff(Precision::fp32), 1.0 / (1 << 24));
  EXPECT_EQ(unit_roundoff(Precision::bf16), 1.0 / (1 << 8));
  EXPECT_EQ(unit_roundoff(Precision::bf16_autocast), 1.0 / (1 << 8));
  EXPECT_THROW(parse_precision("fp16"), InputError);
}

TEST(Precision, NamesRoundTripAndUnknownOnesNameTheKnownOnes) {
  for (Precision p : {Precision::fp32, Precision::bf16, Precision::bf16_autocast})
    EXPECT_EQ(parse_precision(to_string(p)), p);
  EXPECT_EQ(to_string(Precision::bf16_autocast), "bf16-autocast");
  try {
    parse_precision("tf32");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "unknown precision 'tf32' (expected fp32, bf16, bf16-autocast)");
  }
  EXPECT_EQ(parse_cyclic("boltz"), Cyclic::boltz);
  EXPECT_THROW(parse_cyclic("rf3"), InputError);
}

}  // namespace
}  // namespace relpos
