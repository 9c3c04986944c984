// A model's use of relpos::relpos: the cpu lookup into its own memory, checked
// against the sequential one-hot reference. Exit 0 when they agree bitwise.
#include <cstdio>
#include <cstring>
#include <vector>

#include <relpos/backends/registry.hpp>
#include <relpos/problem.hpp>
#include <relpos/synthetic_weights.hpp>

int main() {
  const relpos::Config config{};  // AF3: r_max 32, s_max 2, c_z 128
  const relpos::Layout layout = relpos::Layout::from_arrays({0, 0, 0, 1, 1}, {1, 2, 9, 1, 1}, {0, 0, 0, 0, 0},
                                                            {0, 0, 0, 1, 1}, {0, 1, 2, 3, 4});
  const relpos::Weights weights = relpos::protenix_synthetic_weights(config, 7);
  const relpos::Problem problem{config, layout, weights};
  const auto [batch, tokens, _, channels] = problem.output_shape();
  std::vector<float> fast(batch * tokens * tokens * channels), reference(fast.size());
  relpos::make_backend("cpu")->run(problem, relpos::PairOutput::write(fast.data(), batch, tokens, channels));
  relpos::make_reference_backend()->run(problem,
                                        relpos::PairOutput::write(reference.data(), batch, tokens, channels));
  const bool same = std::memcmp(fast.data(), reference.data(), fast.size() * sizeof(float)) == 0;
  std::printf("cpu lookup vs one-hot reference on %zu values: %s\n", fast.size(), same ? "bitwise equal" : "DIFFER");
  return same ? 0 : 1;
}
