#pragma once
// Caller-provided memory a backend writes the pair tensor [B, N, N, c_z] into.
// Backends never allocate anything N x N themselves.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <xtensor/xtensor.hpp>

#include "relpos/bf16.hpp"

namespace relpos {

/// How p, the pair value in the config's precision regime (fp32 sum, or that
/// sum rounded once to bf16), reaches the memory. In the fp32 regime
/// write_bf16 is the `bf16` regime; in the bf16 regimes p already is a bf16
/// value, so every mode stores it exactly.
enum class OutputMode {
  write_fp32,  ///< out = p
  write_bf16,  ///< out = bf16(p) as bf16 bits: one final rounding of the fp32 sum
  accumulate,  ///< out += p in fp32 (Protenix's z_init += relpos)
};

std::string_view to_string(OutputMode mode);
/// "fp32", "bf16", "accumulate"; throws InputError otherwise.
OutputMode parse_output_mode(std::string_view name);

/// Where the memory lives: backends check it matches what they can address.
enum class MemorySpace { host, device };

struct PairOutput {
  OutputMode mode = OutputMode::write_fp32;
  MemorySpace space = MemorySpace::host;
  void* data = nullptr;
  std::int64_t batch = 0;
  std::int64_t tokens = 0;
  std::int64_t channels = 0;

  std::int64_t elements() const { return batch * tokens * tokens * channels; }
  std::size_t element_bytes() const { return mode == OutputMode::write_bf16 ? 2 : 4; }
  std::size_t bytes() const { return static_cast<std::size_t>(elements()) * element_bytes(); }
  float* fp32() const { return static_cast<float*>(data); }
  bf16_bits* bf16() const { return static_cast<bf16_bits*>(data); }

  static PairOutput write(float* data, std::int64_t batch, std::int64_t tokens, std::int64_t channels,
                          MemorySpace space = MemorySpace::host);
  static PairOutput write_bf16(bf16_bits* data, std::int64_t batch, std::int64_t tokens, std::int64_t channels,
                               MemorySpace space = MemorySpace::host);
  static PairOutput accumulate(float* data, std::int64_t batch, std::int64_t tokens, std::int64_t channels,
                               MemorySpace space = MemorySpace::host);

  /// Views of xtensor containers shaped [B, N, N, c_z].
  static PairOutput write(xt::xtensor<float, 4>& out);
  static PairOutput write_bf16(xt::xtensor<bf16_bits, 4>& out);
  static PairOutput accumulate(xt::xtensor<float, 4>& out);

  /// Any xtensor expression with memory: a container, or a view of one (e.g.
  /// xt::view(z, xt::range(b, b + 1), xt::all(), xt::all(), xt::all())). It
  /// must be 4-D [B, N, N, c_z] and row-major contiguous; throws InputError otherwise.
  template <class Tensor>
  static PairOutput of(OutputMode mode, Tensor&& out);
};

namespace detail {
[[noreturn]] void throw_not_contiguous(const std::string& shape, const std::string& strides);
[[noreturn]] void throw_not_four_dimensional(std::size_t dimension);
}  // namespace detail

template <class Tensor>
PairOutput PairOutput::of(OutputMode mode, Tensor&& out) {
  const auto& shape = out.shape();
  if (shape.size() != 4) detail::throw_not_four_dimensional(shape.size());
  const auto& strides = out.strides();
  std::ptrdiff_t expected = 1;
  bool contiguous = true;
  for (std::size_t d = 4; d-- > 0;) {
    if (shape[d] > 1 && static_cast<std::ptrdiff_t>(strides[d]) != expected) contiguous = false;
    expected *= static_cast<std::ptrdiff_t>(shape[d]);
  }
  if (!contiguous || shape[1] != shape[2]) {
    std::string shape_text, stride_text;
    for (std::size_t d = 0; d < 4; ++d) {
      shape_text += (d ? "," : "") + std::to_string(shape[d]);
      stride_text += (d ? "," : "") + std::to_string(strides[d]);
    }
    detail::throw_not_contiguous(shape_text, stride_text);
  }
  using Value = std::remove_cv_t<std::remove_pointer_t<decltype(out.data())>>;
  static_assert(std::is_same_v<Value, float> || std::is_same_v<Value, bf16_bits>, "float or bf16_bits storage");
  return PairOutput{mode, MemorySpace::host, static_cast<void*>(out.data() + out.data_offset()),
                    static_cast<std::int64_t>(shape[0]), static_cast<std::int64_t>(shape[1]),
                    static_cast<std::int64_t>(shape[3])};
}

}  // namespace relpos
