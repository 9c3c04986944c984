#include <gtest/gtest.h>

#include "relpos/errors.hpp"
#include "relpos/policy.hpp"

namespace relpos {
namespace {

TEST(Policy, ParsesEveryForm) {
  EXPECT_EQ(Policy::parse("bitwise"), Policy::bitwise());
  EXPECT_EQ(Policy::parse("bound:6"), Policy::bound(6));
  EXPECT_EQ(Policy::parse("bound:2.5"), Policy::bound(2.5));
  EXPECT_EQ(Policy::parse("ulp:4"), Policy::ulp(4));
  EXPECT_EQ(Policy::parse("allclose"), Policy::allclose());
  EXPECT_EQ(Policy::parse("allclose:1e-3,1e-6"), Policy::allclose(1e-3, 1e-6));
  Policy nan = Policy::bitwise();
  nan.nan_equal = true;
  EXPECT_EQ(Policy::parse("bitwise+nan"), nan);
}

TEST(Policy, StrRoundTrips) {
  for (const char* text : {"bitwise", "bound:6", "ulp:1", "allclose", "allclose:0.001,1e-06", "bound:6+nan"})
    EXPECT_EQ(Policy::parse(Policy::parse(text).str()), Policy::parse(text)) << text;
}

TEST(Policy, RejectsMalformedText) {
  for (const char* text : {"", "exact", "bound", "bound:", "bound:x", "bound:-1", "ulp:1:2", "allclose:1", "bitwise:3",
                           "allclose:a,b", "bound:inf"})
    EXPECT_THROW(Policy::parse(text), InputError) << text;
}

TEST(Policy, TorchTestingDefaultsPerPrecision) {
  const Policy p = Policy::allclose();
  EXPECT_DOUBLE_EQ(p.effective_rtol(Precision::fp32), 1.3e-6);
  EXPECT_DOUBLE_EQ(p.effective_atol(Precision::fp32), 1e-5);
  EXPECT_DOUBLE_EQ(p.effective_rtol(Precision::bf16), 1.6e-2);
  EXPECT_DOUBLE_EQ(p.effective_atol(Precision::bf16), 1e-5);
}

TEST(Policy, ReorderedBackendsAreHeldToBound6) {
  EXPECT_EQ(policy_for_backend(Policy::bitwise(), false), Policy::bound(6));
  EXPECT_EQ(policy_for_backend(Policy::ulp(1), false), Policy::bound(6));
  EXPECT_EQ(policy_for_backend(Policy::bound(2), false), Policy::bound(2));
  EXPECT_EQ(policy_for_backend(Policy::bitwise(), true), Policy::bitwise());
}

TEST(Precision, UnitRoundoff) {
  EXPECT_EQ(unit_roundoff(Precision::fp32), 1.0 / (1 << 24));
  EXPECT_EQ(unit_roundoff(Precision::bf16), 1.0 / (1 << 8));
  EXPECT_THROW(parse_precision("fp16"), InputError);
}

}  // namespace
}  // namespace relpos
