#!/usr/bin/python3
"""Harness power past 64 tokens and the candidate gate, through PyTorch:

- PyTorch lookups that repeat row 64 when N > 64, repeat a row of the second
  256-token tile, or copy the last column when N > 64 is no multiple of 8
  (tools/relpos_reference.py mutants) each fail `relpos prove
  --candidate-cmd` on the scale property, shrunk past the tile and reported
  with the counterexample and the first differing pair; the correct lookup
  passes it;
- `relpos check --candidate-cmd` passes for the correct lookup and fails
  (exit 1) for a broken one.

usage: torch_scale.py RELPOS_BINARY SOURCE_DIR  (exit 77 = skipped: torch/h5py missing)
"""
import os
import re
import shlex
import shutil
import sys
import tempfile

from cli_checks import check, require, run, summary

require(["h5py", "numpy", "torch"], "python3-torch python3-h5py")

RELPOS, SOURCE = sys.argv[1], sys.argv[2]
CANDIDATE = os.path.join(SOURCE, "tools", "torch_candidate.py")

# mutant -> the tile it breaks: the shrunk N must lie past it.
TILE_MUTANTS = {"repeat-row-64": 64, "repeat-tile-row": 256, "copy-last-column": 64}


def candidate_command(*flags):
    return " ".join(shlex.quote(part) for part in (sys.executable, CANDIDATE, *flags))


def prove_scale(*flags):
    return run([RELPOS, "prove", "--candidate-cmd", candidate_command(*flags), "--property", "scale",
                "--regressions", "none"])


def check_tile_mutants():
    code, out, err = prove_scale("--form", "lookup")
    check(code == 0, f"the correct lookup must pass the scale tier ({code}):\n{out}{err}")
    for mutant, tile in TILE_MUTANTS.items():
        code, out, err = prove_scale("--form", "lookup", "--mutant", mutant)
        check(code == 1, f"{mutant}: prove must fail ({code}):\n{out}{err}")
        shrunk = re.search(r"shrunk counterexample: (\d+) tokens", out)
        check(shrunk is not None and tile < int(shrunk.group(1)) <= 2 * tile + 129,
              f"{mutant}: the counterexample must shrink to just past the {tile}-token tile:\n{out}")
        check("first mismatch: pair (i=" in out, f"{mutant}: the report must name the first differing pair:\n{out}")


def check_gate(work):
    for name in ("monomer.h5", "boltz2_cyclic_peptides_autocast.h5"):
        shutil.copy(os.path.join(SOURCE, "fixtures", name), work)
    code, out, err = run([RELPOS, "check", "--fixtures", work, "--candidate-cmd", candidate_command()])
    check(code == 0 and "check: PASS" in out, f"check --candidate-cmd must pass the correct lookup ({code}):\n{out}{err}")
    code, out, err = run([RELPOS, "check", "--fixtures", work, "--candidate-cmd", candidate_command("--broken"),
                          "--cases", "20"])
    check(code == 1 and "check: FAIL" in out, f"check --candidate-cmd must fail a broken lookup ({code}):\n{out}{err}")


def main():
    work = tempfile.mkdtemp(prefix="relpos-scale-")
    try:
        check_tile_mutants()
        check_gate(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary("torch scale")


if __name__ == "__main__":
    sys.exit(main())
