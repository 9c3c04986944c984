#include "relpos/harness/candidate.hpp"

#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "relpos/errors.hpp"
#include "relpos/harness/candidate_process.hpp"
#include "relpos/harness/properties.hpp"
#include "relpos/io/fixture.hpp"
#include "relpos/io/temporary_directory.hpp"

namespace relpos::harness {
namespace {

constexpr int kFailuresBeforeGivingUp = 3;

// Everything one candidate needs across cases: the process (restarted after
// a crash), the work directory, the case counter.
class Session {
 public:
  explicit Session(CandidateOptions options) : options_(std::move(options)) {
    if (options_.command.empty()) throw InputError("--candidate-cmd: the command is empty");
    if (options_.timeout_seconds <= 0)
      throw InputError(fmt::format("candidate timeout must be positive, not {}", options_.timeout_seconds));
    owns_directory_ = options_.work_directory.empty();
    directory_ = owns_directory_ ? io::make_temporary_directory("relpos-candidate") : options_.work_directory;
    std::filesystem::create_directories(directory_);
    const std::string text = directory_.string();
    if (std::any_of(text.begin(), text.end(), [](unsigned char ch) { return std::isspace(ch); }))
      throw InputError(fmt::format("candidate work directory '{}' contains whitespace, which the line protocol "
                                   "cannot carry",
                                   text));
    stderr_log_ = directory_ / "candidate-stderr.log";
    if (options_.keep_files)
      std::fprintf(stderr, "relpos: candidate input and output files are kept in %s\n", text.c_str());
  }

  ~Session() {
    process_.reset();
    if (owns_directory_ && !options_.keep_files) {
      std::error_code ignored;
      std::filesystem::remove_all(directory_, ignored);
    }
  }

  void run(const Problem& problem, const PairOutput& out) {
    if (out.mode == OutputMode::accumulate) throw InputError("the candidate protocol has no accumulate mode");
    const Config config = regime_of_write(problem, out.mode);
    // Shrinking often retries the same problem (only a transform field changed):
    // answer from the last result instead of another round trip.
    if (last_ && last_->mode == out.mode && last_->config == config && last_->layout == problem.layout &&
        last_->weights == problem.weights) {
      store_values({last_->output.data(), last_->output.size()}, out);
      return;
    }
    Fixture fixture = input_fixture(problem, config);
    xt::xtensor<float, 4> got;
    round_trip(fixture, [&](const std::filesystem::path& output) { got = read_expected_output(output, fixture); });
    store_values({got.data(), got.size()}, out);
    last_ = Answered{out.mode, config, problem.layout, problem.weights, std::move(got)};
  }

  // The weight gradient: an fp32 input (SPEC: the backward is fp32 only) with /inputs/grad_output.
  void run_backward(const Problem& problem, std::span<const float> grad_output, std::span<float> grad_weight) {
    Config config = problem.config;
    config.precision = Precision::fp32;
    Fixture fixture = input_fixture(problem, config);
    fixture.grad_output = xt::xtensor<float, 4>(problem.output_shape());
    std::copy(grad_output.begin(), grad_output.end(), fixture.grad_output->begin());
    round_trip(fixture, [&](const std::filesystem::path& output) {
      const GradWeight dw = read_expected_grad_weight(output, fixture);
      std::copy(dw.begin(), dw.end(), grad_weight.begin());
    });
  }

 private:
  Fixture input_fixture(const Problem& problem, const Config& config) const {
    Fixture fixture;
    fixture.meta.config = config;
    fixture.meta.policy = options_.exact_order ? Policy::bitwise() : reordered_sum_policy(config.precision);
    fixture.meta.source = "relpos prove: generated case";
    fixture.meta.generator = generator_string();
    fixture.meta.model = options_.model;
    fixture.layout = problem.layout;
    fixture.weights = problem.weights;
    return fixture;
  }

  // Writes the input, asks, and lets `read` take what it needs from the output file.
  template <class Read>
  void round_trip(const Fixture& fixture, Read&& read) {
    const int number = ++cases_;
    const std::filesystem::path input = directory_ / fmt::format("case-{:06}.h5", number);
    const std::filesystem::path output = directory_ / fmt::format("case-{:06}.out.h5", number);
    write_fixture(input, fixture, {.overwrite = true, .int32_ids = options_.int32_ids, .compress = false});
    std::error_code ignored;
    std::filesystem::remove(output, ignored);
    const auto cleanup = [&] {
      if (options_.keep_files) return;
      std::filesystem::remove(input, ignored);
      std::filesystem::remove(output, ignored);
    };
    try {
      const std::string answer = ask(fmt::format("{} {}", input.string(), output.string()));
      if (answer.rfind("error:", 0) == 0) throw CandidateError(fmt::format("the candidate answered '{}'", answer));
      if (answer != "ok") {
        process_.reset();  // out of step with the protocol: start afresh for the next case
        throw CandidateError(fmt::format("malformed answer '{}' (expected 'ok' or 'error: ...'; candidates must "
                                         "print nothing else on stdout)",
                                         answer.substr(0, 200)));
      }
      try {
        read(output);
      } catch (const InputError& e) {
        throw CandidateError(fmt::format("the candidate answered ok but its output is unusable: {}", e.what()));
      }
    } catch (...) {
      cleanup();
      throw;
    }
    cleanup();
  }

  struct Answered {
    OutputMode mode;
    Config config;
    Layout layout;
    Weights weights;
    xt::xtensor<float, 4> output;
  };

  std::string ask(const std::string& line) {
    if (!process_ || !process_->alive()) process_ = std::make_unique<CandidateProcess>(options_.command, stderr_log_);
    try {
      std::string answer = process_->request(line, options_.timeout_seconds);
      ever_answered_ = true;
      return answer;
    } catch (const CandidateError& e) {
      const std::string tail = tail_of_file(stderr_log_, 12);
      const std::string message = fmt::format("{}{}", e.what(), tail.empty() ? "" : "; its stderr ended with:\n" + tail);
      // A candidate that has never answered cannot run at all: stop instead of
      // "shrinking" its start-up failure. Once it has answered, failures are findings.
      if (!ever_answered_ && ++failures_before_any_answer_ >= kFailuresBeforeGivingUp)
        throw FatalError(fmt::format("candidate '{}' failed its first {} requests without ever answering: {}",
                                     options_.command, failures_before_any_answer_, message));
      throw CandidateError(message);
    }
  }

  CandidateOptions options_;
  std::filesystem::path directory_;
  std::filesystem::path stderr_log_;
  bool owns_directory_ = false;
  std::unique_ptr<CandidateProcess> process_;
  std::optional<Answered> last_;
  int cases_ = 0;
  bool ever_answered_ = false;
  int failures_before_any_answer_ = 0;
};

}  // namespace

Implementation candidate_implementation(const CandidateOptions& options) {
  auto session = std::make_shared<Session>(options);
  Implementation impl;
  impl.name = "candidate: " + options.command;
  impl.run = [session](const Problem& problem, const PairOutput& out) { session->run(problem, out); };
  impl.exact_order = options.exact_order;
  impl.modes = OutputModes{.write_fp32 = true, .write_bf16 = options.bf16, .accumulate = false};
  if (options.backward)
    impl.backward = [session](const Problem& problem, std::span<const float> g, std::span<float> dw) {
      session->run_backward(problem, g, dw);
    };
  return impl;
}

}  // namespace relpos::harness
