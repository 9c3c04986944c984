#pragma once
// bfloat16 as stored bits, and the one rounding the bf16 modes use.
#include <bit>
#include <cstdint>
#include <cstring>

#include "relpos/host_device.hpp"

namespace relpos {

using bf16_bits = std::uint16_t;

RELPOS_HOST_DEVICE inline std::uint32_t float_bits(float value) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(value);
#else
  return std::bit_cast<std::uint32_t>(value);
#endif
}

RELPOS_HOST_DEVICE inline float float_from_bits(std::uint32_t bits) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  return std::bit_cast<float>(bits);
#endif
}

/// Round to nearest, ties to even; NaN stays a (quiet) NaN, overflow gives inf.
RELPOS_HOST_DEVICE inline bf16_bits bf16_round(float value) {
  const std::uint32_t bits = float_bits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<bf16_bits>((bits >> 16) | 0x0040u);
  const std::uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<bf16_bits>((bits + rounding) >> 16);
}

RELPOS_HOST_DEVICE inline float bf16_to_float(bf16_bits value) {
  return float_from_bits(static_cast<std::uint32_t>(value) << 16);
}

/// value rounded to the nearest bf16, returned as float (how fixtures store bf16).
RELPOS_HOST_DEVICE inline float round_to_bf16(float value) { return bf16_to_float(bf16_round(value)); }

}  // namespace relpos
