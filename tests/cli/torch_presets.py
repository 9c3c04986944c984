#!/usr/bin/python3
"""End-to-end acceptance of SPEC.md part 2 through relpos and PyTorch:

- `relpos prove --candidate-cmd tools/torch_candidate.py` passes for the boltz2
  and boltz1 presets (lookup form) and for af3 under bf16-autocast (lookup and
  onehot forms);
- each cyclic or precision mutant of tools/relpos_reference.py fails prove in
  the scope that exposes it, with a counterexample;
- oracle fixtures written by tools/export_fixture.py (Boltz-2 cyclic layout in
  fp32 / bf16 / bf16-autocast, the paper chain term with cyclic offsets, af3 in
  bf16-autocast) verify on every backend, and a fixture whose largest output
  element is zeroed fails.

usage: torch_presets.py RELPOS_BINARY SOURCE_DIR  (exit 77 = skipped: torch/h5py missing)
environment: RELPOS_PRESET_CASES = cases per passing prove run (default 20);
             RELPOS_PRESET_MUTANT_CASES = the most cases a mutant's run may need (default 100:
             prove --fail-fast stops at the first failing property, and some mutants need a rare
             layout, e.g. exact-wrap an offset beyond 2^24 inside one cyclic chain)
"""
import json
import os
import shlex
import shutil
import sys
import tempfile

from cli_checks import protenix_checkpoint, check, require, run, summary

h5py, np, torch = require(["h5py", "numpy", "torch"], "python3-torch python3-h5py")

RELPOS, SOURCE = sys.argv[1], sys.argv[2]
CANDIDATE = os.path.join(SOURCE, "tools", "torch_candidate.py")
ORACLE = os.path.join(SOURCE, "tools", "export_fixture.py")
CASES = os.environ.get("RELPOS_PRESET_CASES", "20")
MUTANT_CASES = os.environ.get("RELPOS_PRESET_MUTANT_CASES", "100")

# The scope (prove flags) in which each mutant must be caught: the cyclic ones need Boltz's wrap
# in fp32, the precision ones the regime whose arithmetic they get wrong.
CYCLIC_FP32 = ["--model", "boltz2", "--cyclic", "boltz", "--precision", "fp32"]
MUTANT_SCOPES = {
    "row-period": CYCLIC_FP32,
    "half-away": CYCLIC_FP32,
    "no-fallback": CYCLIC_FP32,
    "exact-wrap": CYCLIC_FP32,
    "wrap-after-clip": CYCLIC_FP32,
    "autocast-no-round": ["--model", "af3", "--precision", "bf16-autocast"],
    "bf16-rounds-weights": ["--model", "af3", "--precision", "bf16"],
    "bf16-terms": ["--model", "af3", "--precision", "bf16-autocast"],
}


def candidate_command(*flags):
    """The --candidate-cmd string (run by /bin/sh -c)."""
    return " ".join(shlex.quote(part) for part in (sys.executable, CANDIDATE, *flags))


def prove(flags, scope, cases):
    """(exit code, stdout, stderr) of relpos prove with the PyTorch candidate in `scope`."""
    return run([RELPOS, "prove", "--candidate-cmd", candidate_command(*flags), *scope,
                "--cases", cases, "--regressions", "none"])


def check_prove_passes():
    for flags, scope in ((["--form", "lookup"], ["--model", "boltz2"]),
                         (["--form", "lookup"], ["--model", "boltz1"]),
                         (["--form", "lookup"], ["--model", "af3", "--precision", "bf16-autocast"]),
                         (["--form", "onehot"], ["--model", "af3", "--precision", "bf16-autocast"])):
        code, out, err = prove(flags, scope, CASES)
        check(code == 0, f"prove {' '.join(scope)} with {' '.join(flags)} must pass ({code}):\n{out}{err}")


def check_prove_catches_mutants():
    for mutant, scope in MUTANT_SCOPES.items():
        code, out, err = prove(["--form", "lookup", "--mutant", mutant], scope + ["--fail-fast"], MUTANT_CASES)
        check(code == 1 and ("counterexample" in out or "FAILED" in out),
              f"mutant {mutant} must fail prove {' '.join(scope)} with a counterexample ({code}):\n{out}{err}")


def write_json(path, document):
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(document, stream)
    return path


def layout(chains):
    """Layout JSON (a dict) from chains [(entity, sym, residue indices one per token, period)]."""
    document = {key: [] for key in ("asym_id", "residue_index", "entity_id", "sym_id", "token_index",
                                    "cyclic_period")}
    for asym, (entity, sym, residues, period) in enumerate(chains):
        for residue in residues:
            for key, value in zip(document, (asym, residue, entity, sym, len(document["token_index"]), period)):
                document[key].append(value)
    return document


def boltz2_layout():
    """A cyclic peptide of even period 8 numbered 1..8, one of odd period 7, a linear chain whose
    numbering jumps by 6000 and by 15000, and a three-atom ligand."""
    return layout([(0, 0, list(range(1, 9)), 8), (1, 0, list(range(1, 8)), 7),
                   (2, 0, [1, 2, 3, 4, 6004, 6005, 6006, 21006, 21007], 0), (3, 0, [1, 1, 1], 0)])


def af3_layout():
    """Two complexes of 29 tokens as one [2, N] batch, without cyclic_period: a homodimer with a
    gap (sym_id 0/1) and a ligand; a heterodimer with a per-atom residue."""
    first = layout([(0, 0, [1, 2, 3, 4, 5, 9, 10, 11], 0), (0, 1, [1, 2, 3, 4, 5, 9, 10, 11], 0),
                    (1, 0, [1] * 13, 0)])
    second = layout([(0, 0, list(range(1, 13)), 0), (1, 0, [1, 2, 3, 3, 3, 3, 4, 5, 6, 7], 0),
                     (2, 0, list(range(101, 108)), 0)])
    return {key: [first[key], second[key]] for key in first if key != "cyclic_period"}


def export(work, name, layout_path, weights, *flags):
    """An oracle fixture from tools/export_fixture.py; its path, or None (recorded) if it failed."""
    out = os.path.join(work, f"{name}.h5")
    code, stdout, stderr = run([sys.executable, ORACLE, "--layout", layout_path, "--weights", weights,
                                "--out", out, *flags])
    check(code == 0, f"export_fixture.py {name} ({' '.join(flags)}) failed ({code}): {stderr}")
    return out if code == 0 else None


def check_oracle_fixtures(work):
    weights, _ = protenix_checkpoint(work, 13)
    cyclic = write_json(os.path.join(work, "boltz2_layout.json"), boltz2_layout())
    plain = write_json(os.path.join(work, "af3_layout.json"), af3_layout())

    fixtures = {
        "boltz2_fp32": export(work, "boltz2_fp32", cyclic, weights, "--model", "boltz2", "--precision", "fp32"),
        "boltz2_bf16": export(work, "boltz2_bf16", cyclic, weights, "--model", "boltz2", "--precision", "bf16"),
        "boltz2_bf16_autocast": export(work, "boltz2_bf16_autocast", cyclic, weights, "--model", "boltz2",
                                       "--precision", "bf16-autocast"),
        "paper_cyclic": export(work, "paper_cyclic", cyclic, weights, "--variant", "paper", "--cyclic", "boltz"),
        "af3_bf16_autocast": export(work, "af3_bf16_autocast", plain, weights, "--precision", "bf16-autocast"),
    }
    for name, path in fixtures.items():
        if path is None:
            continue
        with h5py.File(path, "r") as file:
            check(int(file.attrs["format_version"]) == 2, f"{name}: format_version 2")
        code, out, err = run([RELPOS, "verify", path, "--backend", "all"])
        check(code == 0, f"{name}: every backend must pass the PyTorch oracle ({code}):\n{out}{err}")

    # The oracle's values are what is checked, under every policy: tampered, they fail.
    for name in ("boltz2_fp32", "boltz2_bf16_autocast"):
        if fixtures[name] is None:
            continue
        altered = os.path.join(work, f"{name}_altered.h5")
        shutil.copy(fixtures[name], altered)
        with h5py.File(altered, "r+") as file:
            output = file["expected/output"][...]
            output.flat[int(np.argmax(np.abs(output)))] = np.float32(0)
            file["expected/output"][...] = output
        code, out, err = run([RELPOS, "verify", altered, "--backend", "all"])
        check(code == 1, f"{name} with its largest output element zeroed must fail verify ({code}):\n{out}{err}")


def main():
    work = tempfile.mkdtemp(prefix="relpos-presets-")
    try:
        check_prove_passes()
        check_prove_catches_mutants()
        check_oracle_fixtures(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary("torch presets")


if __name__ == "__main__":
    sys.exit(main())
