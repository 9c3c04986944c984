#include "relpos/backend.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos {

void Backend::run(const Problem& problem, const PairOutput& out) const {
  validate(problem);
  const auto shape = problem.output_shape();
  if (out.batch != static_cast<std::int64_t>(shape[0]) || out.tokens != static_cast<std::int64_t>(shape[1]) ||
      out.channels != static_cast<std::int64_t>(shape[3]))
    throw InputError(fmt::format("{}: output is [{}, {}, {}, {}] but the problem needs [{}, {}, {}, {}]", name(),
                                 out.batch, out.tokens, out.tokens, out.channels, shape[0], shape[1], shape[2],
                                 shape[3]));
  if (out.data == nullptr && out.elements() != 0) throw InputError(fmt::format("{}: output pointer is null", name()));
  if (!accepts(out.space))
    throw InputError(fmt::format("{}: cannot write into {} memory", name(),
                                 out.space == MemorySpace::host ? "host" : "device"));
  if (out.elements() == 0) return;
  compute(problem, out);
}

Workspace Backend::backward_workspace(const MemoryShape&) const {
  Workspace w;
  w.description = has_backward() ? "no buffers beyond G and dW" : "no backward";
  return w;
}

void Backend::backward(const Problem& problem, std::span<const float> grad_output, std::span<float> grad_weight) const {
  if (!has_backward()) throw InputError(fmt::format("{}: has no backward (weight gradient)", name()));
  validate(problem);
  validate_grad_output(problem, grad_output);
  const auto needed = static_cast<std::size_t>(problem.config.c_z * problem.config.feature_width());
  if (grad_weight.size() != needed)
    throw InputError(fmt::format("{}: grad_weight holds {} values; W [{}, {}] needs {}", name(), grad_weight.size(),
                                 problem.config.c_z, problem.config.feature_width(), needed));
  compute_backward(problem, grad_output, grad_weight);
}

void Backend::compute_backward(const Problem&, std::span<const float>, std::span<float>) const {
  throw InputError(fmt::format("{}: has no backward (weight gradient)", name()));
}

GradWeight compute_weight_gradient(const GradientWriter& write, const Problem& problem, std::span<const float> grad_output) {
  GradWeight dw({static_cast<std::size_t>(problem.config.c_z), static_cast<std::size_t>(problem.config.feature_width())},
                std::numeric_limits<float>::quiet_NaN());
  write(problem, grad_output, {dw.data(), dw.size()});
  return dw;
}

GradientWriter backward_writer(const Backend& backend) {
  if (!backend.has_backward()) return {};
  return [&backend](const Problem& p, std::span<const float> g, std::span<float> dw) { backend.backward(p, g, dw); };
}

GradWeight compute_weight_gradient(const Backend& backend, const Problem& problem, std::span<const float> grad_output) {
  return compute_weight_gradient(backward_writer(backend), problem, grad_output);
}

namespace {
// Distinct from any NaN an arithmetic path produces, so a report can tell "never written" apart.
constexpr bf16_bits kUnwrittenBf16 = 0x7fc1;
}  // namespace

xt::xtensor<float, 4> compute_fp32(const OutputWriter& write, const Problem& problem) {
  xt::xtensor<float, 4> out(problem.output_shape(), std::numeric_limits<float>::quiet_NaN());
  write(problem, PairOutput::write(out));
  return out;
}

xt::xtensor<float, 4> compute_fp32(const Backend& backend, const Problem& problem) {
  return compute_fp32([&](const Problem& p, const PairOutput& out) { backend.run(p, out); }, problem);
}

xt::xtensor<float, 4> compute_bf16_as_float(const OutputWriter& write, const Problem& problem) {
  xt::xtensor<bf16_bits, 4> bits(problem.output_shape(), kUnwrittenBf16);
  write(problem, PairOutput::write_bf16(bits));
  xt::xtensor<float, 4> out(problem.output_shape());
  std::transform(bits.begin(), bits.end(), out.begin(), [](bf16_bits b) { return bf16_to_float(b); });
  return out;
}

xt::xtensor<float, 4> compute_bf16_as_float(const Backend& backend, const Problem& problem) {
  return compute_bf16_as_float([&](const Problem& p, const PairOutput& out) { backend.run(p, out); }, problem);
}

xt::xtensor<float, 4> compute_in_precision(const OutputWriter& write, const Problem& problem) {
  return rounds_result(problem.config.precision) ? compute_bf16_as_float(write, problem) : compute_fp32(write, problem);
}

}  // namespace relpos
