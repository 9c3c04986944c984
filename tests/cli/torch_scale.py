#!/usr/bin/python3
"""Harness power past 64 tokens and the candidate gate, through PyTorch:

- PyTorch lookups that repeat row 64 when N > 64, repeat a row of the second
  256-token tile, or copy the last column when N > 64 is no multiple of 8
  (tools/relpos_reference.py mutants) each fail the default `relpos prove
  --candidate-cmd`, shrunk to just past the tile and reported counterexample
  first (within 40 lines: layout, config, first differing pair, the probe's
  reading of the term); the correct lookup passes both halves of `--shard
  0/2` and `1/2`, which `relpos report merge` joins; `--shard 2/2` exits 2;
- a strict AF3-only fp32 candidate (error: outside r_max 32, s_max 2, c_z
  128, af3, no cyclic, fp32) passes `relpos prove --model af3 --precision fp32`;
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


def prove(*flags, extra=()):
    return run([RELPOS, "prove", "--candidate-cmd", candidate_command(*flags), *extra])


def check_leads_with_counterexample(mutant, out):
    head = out.splitlines()[:40]
    text = "\n".join(head)
    for needle in ("counterexample", "config r_max=", "asym_id", "residue_index", "first mismatch: pair (i=",
                   "expected", "probe reading of channel"):
        check(needle in text, f"{mutant}: '{needle}' must be within the report's first 40 lines:\n{text}")


def check_tile_mutants():
    for mutant, tile in TILE_MUTANTS.items():
        code, out, err = prove("--form", "lookup", "--mutant", mutant)
        check(code == 1, f"{mutant}: the default prove must fail ({code}):\n{out}{err}")
        shrunk = re.search(r"scale FAILED .*shrunk counterexample: (\d+) tokens", out)
        check(shrunk is not None and tile < int(shrunk.group(1)) <= tile + 8,
              f"{mutant}: the counterexample must shrink to just past the {tile}-token tile:\n{out}")
        check_leads_with_counterexample(mutant, out)


def check_shards(work):
    files = []
    for shard in ("0/2", "1/2"):
        code, out, err = prove("--form", "lookup", extra=("--shard", shard, "--json"))
        check(code == 0, f"the correct lookup must pass shard {shard} ({code}):\n{out}{err}")
        files.append(os.path.join(work, f"shard-{shard[0]}.json"))
        with open(files[-1], "w") as f:
            f.write(out)
    code, out, err = run([RELPOS, "report", "merge", *files])
    check(code == 0 and "PASS" in out, f"the merged shards must pass ({code}):\n{out}{err}")
    code, out, err = prove("--form", "lookup", extra=("--shard", "2/2"))
    check(code == 2 and "not a valid shard" in err, f"--shard 2/2 must exit 2 ({code}):\n{out}{err}")


def check_strict_af3():
    code, out, err = prove("--strict-af3", extra=("--model", "af3", "--precision", "fp32"))
    check(code == 0, f"the strict AF3 fp32 candidate must pass its scope ({code}):\n{out}{err}")
    check("scale" in out and "error:" not in out, f"the scale tier must run within the scope:\n{out}{err}")


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
        check_shards(work)
        check_strict_af3()
        check_gate(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary("torch scale")


if __name__ == "__main__":
    sys.exit(main())
