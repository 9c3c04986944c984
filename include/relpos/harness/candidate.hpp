#pragma once
// An external program as an Implementation: for each run the harness writes a
// v1 (v2 for a cyclic case or a model preset) input fixture, sends "<input.h5> <output.h5>", and reads the candidate's
// /expected/output back (docs/candidate-protocol.md).
#include <filesystem>
#include <string>

#include "relpos/harness/implementation.hpp"

namespace relpos::harness {

struct CandidateOptions {
  std::string command;               ///< run with /bin/sh -c, once (again only after a crash)
  double timeout_seconds = 60;       ///< per case, including the first case's start-up
  std::filesystem::path work_directory;  ///< empty: a fresh directory under $TMPDIR, removed afterwards
  bool keep_files = false;           ///< keep every input/output file (and a given work directory's content)
  bool exact_order = false;          ///< the candidate adds the terms in the reference's order (held to bitwise)
  bool bf16 = true;                  ///< also prove the bf16 output mode (input files with precision "bf16")
  bool int32_ids = false;            ///< write the ids as int32 (generate with CaseLimits::int32_ids too)
  std::string model;                 ///< the preset the run is scoped to: written as each input's `model` attribute
  bool backward = false;             ///< also prove the weight gradient: inputs with /inputs/grad_output (fp32)
};

/// The candidate as an implementation (fp32 and bf16 write modes; no
/// accumulate; with `backward`, the weight gradient, held to anyorder). Its failures — a crash, a timeout, an "error: ..." answer, a
/// missing or malformed output file — fail the property and are shrunk like
/// any mismatch. A candidate that fails its first three requests without ever
/// answering cannot run at all: that throws FatalError.
Implementation candidate_implementation(const CandidateOptions& options);

}  // namespace relpos::harness
