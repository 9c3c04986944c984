#include "relpos/backends/onehot.hpp"

#include <algorithm>
#include <vector>

#include <cblas.h>
#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos {
namespace {

// Fills rows [row0, row0 + rows) of the flattened (b, i, j) pair index with
// their one-hot feature vectors, exactly as the original module concatenates them.
void fill_features(const Problem& problem, std::int64_t row0, std::int64_t rows, float* features) {
  const std::int64_t n = problem.layout.tokens();
  const std::int64_t width = problem.config.feature_width();
  const BinParams params = problem.bins();
  std::fill(features, features + rows * width, 0.0f);
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t pair = row0 + r;
    const std::int64_t b = pair / (n * n);
    const std::int64_t i = (pair / n) % n;
    const std::int64_t j = pair % n;
    const HotColumns hot = hot_columns(params, pair_bins(params, problem.layout.token(b, i), problem.layout.token(b, j)));
    float* x = features + r * width;
    x[hot.residue] = 1.0f;
    x[hot.token] = 1.0f;
    if (hot.entity >= 0) x[hot.entity] = 1.0f;
    x[hot.chain] = 1.0f;
  }
}

// out[r, c] = sum_f x[r, f] * W[c, f], the F products added in column order.
// Looping f outside c keeps each output's order and lets the compiler vectorise over c.
void multiply_in_column_order(const float* features, std::int64_t rows, std::int64_t width, const float* table,
                              std::int64_t channels, float* out) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* x = features + r * width;
    float* acc = out + r * channels;
    std::fill(acc, acc + channels, 0.0f);
    for (std::int64_t f = 0; f < width; ++f) {
      const float xf = x[f];
      const float* w = table + f * channels;
      for (std::int64_t c = 0; c < channels; ++c) acc[c] += xf * w[c];
    }
  }
}

class OnehotBackend final : public Backend {
 public:
  OnehotBackend(OnehotForm form, const BackendOptions& options) : form_(form), options_(options) {
    if (options_.chunk_rows < 1)
      throw InputError(fmt::format("chunk rows must be at least 1, not {}", options_.chunk_rows));
  }

  std::string_view name() const override { return form_ == OnehotForm::blas ? "onehot-blas" : "onehot"; }
  bool exact_order() const override { return form_ == OnehotForm::sequential; }
  bool has_backward() const override { return true; }
  bool backward_exact_order() const override { return form_ == OnehotForm::sequential; }

  Workspace backward_workspace(const MemoryShape& shape) const override {
    Workspace w;
    if (form_ == OnehotForm::sequential) {
      w.description = "the sequential reference: each pair's G added into its columns in row-major order";
      return w;
    }
    const std::int64_t chunk = std::min(shape.chunk_rows, std::max<std::int64_t>(shape.pairs(), 1));
    const auto width = static_cast<std::uint64_t>(shape.config.feature_width());
    w.buffers.push_back({fmt::format("fp32 one-hot block X, {} rows", chunk), static_cast<std::uint64_t>(chunk) * width * 4});
    w.buffers.push_back({"fp32 dW^T accumulator [F, c_z]", width * static_cast<std::uint64_t>(shape.config.c_z) * 4});
    w.description = "X^T G by OpenBLAS sgemm per block of one-hot rows, as autograd of F.linear computes it";
    return w;
  }
  BackendTraits traits() const override {
    if (form_ == OnehotForm::blas) return {.role = BenchRole::blas_reference, .threaded = true};
    return {.role = BenchRole::sequential_reference, .threaded = false};
  }

  Workspace workspace(const MemoryShape& shape) const override {
    const Config& config = shape.config;
    const auto bytes = [](std::int64_t value) { return static_cast<std::uint64_t>(value); };
    const std::int64_t total_rows = shape.pairs();
    const std::int64_t chunk = std::min(shape.chunk_rows, std::max<std::int64_t>(total_rows, 1));
    Workspace w;
    w.buffers.push_back({"fp32 W^T", bytes(config.feature_width() * config.c_z) * 4});
    w.buffers.push_back(
        {fmt::format("fp32 feature{} block, {} rows", shape.mode == OutputMode::write_fp32 ? "" : " + result", chunk),
         onehot_workspace_bytes(total_rows, shape.chunk_rows, config.feature_width(), config.c_z, shape.mode)});
    const bool threaded_blas = form_ == OnehotForm::blas && shape.threads > 1;
    if (threaded_blas)
      w.buffers.push_back({"OpenBLAS packed copy of the feature block", bytes(chunk * config.feature_width()) * 4});
    w.description = fmt::format("this project's {} one-hot path, {} pair rows per block",
                                form_ == OnehotForm::sequential ? "sequential" : "OpenBLAS", shape.chunk_rows);
    if (form_ == OnehotForm::blas)
      w.note = threaded_blas ? fmt::format("{} OpenBLAS threads; the packed copy is capped per OpenBLAS build",
                                           shape.threads)
                             : "1 OpenBLAS thread: packing stays within OpenBLAS's preallocated buffer";
    return w;
  }

 protected:
  void compute(const Problem& problem, const PairOutput& out) const override {
    const std::int64_t n = problem.layout.tokens();
    const std::int64_t total_rows = problem.layout.batch() * n * n;
    const std::int64_t width = problem.config.feature_width();
    const std::int64_t channels = problem.config.c_z;
    const std::int64_t chunk = std::min(options_.chunk_rows, total_rows);
    const Precision precision = problem.config.precision;
    const xt::xtensor<float, 2> table = transposed_table(problem.weights, precision);  // [F, c_z]
    // sgemm reads W [c_z, F] itself: under autocast, a bf16-rounded copy of it.
    Weights rounded_weights;
    if (form_ == OnehotForm::blas && rounds_weights(precision)) {
      rounded_weights = problem.weights;
      for (float& w : rounded_weights) w = regime_weight(precision, w);
    }
    const float* weights = rounded_weights.size() != 0 ? rounded_weights.data() : problem.weights.data();
    // OpenBLAS's thread count is process-wide: set it only when asked for one.
    if (form_ == OnehotForm::blas && options_.threads > 0) openblas_set_num_threads(options_.threads);

    std::vector<float> features(static_cast<std::size_t>(chunk * width));
    // Straight into the output only when nothing happens after the sum.
    const bool direct = out.mode == OutputMode::write_fp32 && !rounds_result(precision);
    std::vector<float> block;
    if (!direct) block.resize(static_cast<std::size_t>(chunk * channels));

    for (std::int64_t row0 = 0; row0 < total_rows; row0 += chunk) {
      const std::int64_t rows = std::min(chunk, total_rows - row0);
      fill_features(problem, row0, rows, features.data());
      float* result = direct ? out.fp32() + row0 * channels : block.data();
      if (form_ == OnehotForm::sequential) {
        multiply_in_column_order(features.data(), rows, width, table.data(), channels, result);
      } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(channels),
                    static_cast<int>(width), 1.0f, features.data(), static_cast<int>(width), weights,
                    static_cast<int>(width), 0.0f, result, static_cast<int>(channels));
      }
      if (!direct) store_block(block.data(), rows * channels, precision, out, row0 * channels);
    }
  }

  void compute_backward(const Problem& problem, std::span<const float> grad_output,
                        std::span<float> grad_weight) const override {
    if (form_ == OnehotForm::sequential) return sequential_weight_gradient(problem, grad_output, grad_weight);
    const std::int64_t n = problem.layout.tokens();
    const std::int64_t total_rows = problem.layout.batch() * n * n;
    const std::int64_t width = problem.config.feature_width(), channels = problem.config.c_z;
    const std::int64_t chunk = std::max<std::int64_t>(1, std::min(options_.chunk_rows, total_rows));
    if (options_.threads > 0) openblas_set_num_threads(options_.threads);
    std::vector<float> features(static_cast<std::size_t>(chunk * width));
    std::vector<float> transposed(static_cast<std::size_t>(width * channels), 0.0f);  // dW^T [F, c_z]
    for (std::int64_t row0 = 0; row0 < total_rows; row0 += chunk) {
      const std::int64_t rows = std::min(chunk, total_rows - row0);
      fill_features(problem, row0, rows, features.data());
      // dW^T += X^T G over this block of pair rows.
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(width), static_cast<int>(channels),
                  static_cast<int>(rows), 1.0f, features.data(), static_cast<int>(width),
                  grad_output.data() + row0 * channels, static_cast<int>(channels), 1.0f, transposed.data(),
                  static_cast<int>(channels));
    }
    for (std::int64_t c = 0; c < channels; ++c)
      for (std::int64_t f = 0; f < width; ++f)
        grad_weight[static_cast<std::size_t>(c * width + f)] = transposed[static_cast<std::size_t>(f * channels + c)];
  }

 private:
  // The regime's p from each fp32 sum, then into the output as its mode says.
  static void store_block(const float* sums, std::int64_t count, Precision precision, const PairOutput& out,
                          std::int64_t offset) {
    for (std::int64_t k = 0; k < count; ++k) {
      const float p = regime_result(precision, sums[k]);
      switch (out.mode) {
        case OutputMode::write_fp32: out.fp32()[offset + k] = p; break;
        case OutputMode::write_bf16: out.bf16()[offset + k] = bf16_round(p); break;
        case OutputMode::accumulate: out.fp32()[offset + k] += p; break;
      }
    }
  }

  OnehotForm form_;
  BackendOptions options_;
};

}  // namespace

std::unique_ptr<Backend> make_onehot_backend(OnehotForm form, const BackendOptions& options) {
  return std::make_unique<OnehotBackend>(form, options);
}

std::size_t onehot_workspace_bytes(std::int64_t total_rows, std::int64_t chunk_rows, std::int64_t feature_width,
                                   std::int64_t channels, OutputMode mode, Precision precision, OnehotForm form) {
  const std::int64_t chunk = std::min(chunk_rows, total_rows);
  std::size_t bytes = static_cast<std::size_t>(chunk * feature_width) * sizeof(float);
  if (mode != OutputMode::write_fp32 || rounds_result(precision))
    bytes += static_cast<std::size_t>(chunk * channels) * sizeof(float);
  if (form == OnehotForm::blas && rounds_weights(precision))
    bytes += static_cast<std::size_t>(channels * feature_width) * sizeof(float);
  return bytes;
}

}  // namespace relpos
