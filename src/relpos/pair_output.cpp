#include "relpos/pair_output.hpp"

#include <fmt/format.h>

#include "relpos/enum_names.hpp"
#include "relpos/errors.hpp"

namespace relpos {

namespace {
constexpr auto kOutputModeNames = enum_names<OutputMode>("fp32", "bf16", "accumulate");
}  // namespace

std::string_view to_string(OutputMode mode) { return kOutputModeNames(mode); }

OutputMode parse_output_mode(std::string_view name) {
  if (const auto mode = kOutputModeNames.parse(name)) return *mode;
  throw InputError(fmt::format("unknown output mode '{}' (expected fp32, bf16 or accumulate)", name));
}

namespace detail {
void throw_not_contiguous(const std::string& shape, const std::string& strides) {
  throw InputError(fmt::format("pair tensor of shape [{}] and strides [{}] is not a contiguous [B, N, N, c_z] tensor",
                               shape, strides));
}
void throw_not_four_dimensional(std::size_t dimension) {
  throw InputError(fmt::format("pair tensor has {} dimensions; expected 4: [B, N, N, c_z]", dimension));
}
}  // namespace detail

namespace {
PairOutput make(OutputMode mode, void* data, std::int64_t batch, std::int64_t tokens, std::int64_t channels,
                MemorySpace space) {
  return PairOutput{mode, space, data, batch, tokens, channels};
}

template <class T>
PairOutput from_tensor(OutputMode mode, xt::xtensor<T, 4>& out) {
  if (out.shape(1) != out.shape(2))
    throw InputError(fmt::format("pair tensor has shape [{}, {}, {}, {}]: dimensions 1 and 2 must both be N",
                                 out.shape(0), out.shape(1), out.shape(2), out.shape(3)));
  return make(mode, out.data(), static_cast<std::int64_t>(out.shape(0)), static_cast<std::int64_t>(out.shape(1)),
              static_cast<std::int64_t>(out.shape(3)), MemorySpace::host);
}
}  // namespace

PairOutput PairOutput::write(float* data, std::int64_t batch, std::int64_t tokens, std::int64_t channels,
                             MemorySpace space) {
  return make(OutputMode::write_fp32, data, batch, tokens, channels, space);
}
PairOutput PairOutput::write_bf16(bf16_bits* data, std::int64_t batch, std::int64_t tokens, std::int64_t channels,
                                  MemorySpace space) {
  return make(OutputMode::write_bf16, data, batch, tokens, channels, space);
}
PairOutput PairOutput::accumulate(float* data, std::int64_t batch, std::int64_t tokens, std::int64_t channels,
                                  MemorySpace space) {
  return make(OutputMode::accumulate, data, batch, tokens, channels, space);
}

PairOutput PairOutput::write(xt::xtensor<float, 4>& out) { return from_tensor(OutputMode::write_fp32, out); }
PairOutput PairOutput::write_bf16(xt::xtensor<bf16_bits, 4>& out) { return from_tensor(OutputMode::write_bf16, out); }
PairOutput PairOutput::accumulate(xt::xtensor<float, 4>& out) { return from_tensor(OutputMode::accumulate, out); }

}  // namespace relpos
