#!/usr/bin/python3
"""The backward end to end, through PyTorch (issue "Backward", Done when):

- gradient fixtures written by PyTorch autograd of the one-hot F.linear
  (tools/export_fixture.py --grad, independent of relpos's code) verify with
  `relpos verify FILE --backend all`, forward and dW, for an AF3 layout and a
  Boltz-2 cyclic one; the same file with its largest gradient element zeroed
  fails with exit 1 and the report names grad_weight;
- through the candidate protocol, a PyTorch lookup differentiated by autograd
  and PyTorch's one-hot F.linear both pass `relpos prove --backward`; lookups
  with the entity gradient dropped, the chain block mirrored, or the last
  pair's G ignored each fail, shrunk to a token or two.

usage: torch_backward.py RELPOS_BINARY SOURCE_DIR  (exit 77 = skipped: torch/h5py missing)
"""
import os
import re
import shlex
import shutil
import sys
import tempfile

from cli_checks import check, protenix_checkpoint, require, run, summary

h5py, np, torch = require(["h5py", "numpy", "torch"], "python3-torch python3-h5py")

RELPOS, SOURCE = sys.argv[1], sys.argv[2]
CANDIDATE = os.path.join(SOURCE, "tools", "torch_candidate.py")
EXPORT_FIXTURE = os.path.join(SOURCE, "tools", "export_fixture.py")
EXPORT_WEIGHTS = os.path.join(SOURCE, "tools", "export_weights.py")
GRADIENT_MUTANTS = ("grad-drop-entity", "grad-mirror-chain", "grad-skip-last-pair")


def candidate_command(*flags):
    return " ".join(shlex.quote(part) for part in (sys.executable, CANDIDATE, *flags))


def exported_weights(work):
    """A Protenix-initialised W in a checkpoint, exported to HDF5 by tools/export_weights.py."""
    checkpoint, _ = protenix_checkpoint(work, 5, "model.module.relative_position_encoding.linear_no_bias.weight")
    exported = os.path.join(work, "protenix.h5")
    code, out, err = run([sys.executable, EXPORT_WEIGHTS, checkpoint, "--out", exported])
    check(code == 0, f"export_weights.py failed: {err}")
    return exported


def check_autograd_fixtures(work):
    weights = exported_weights(work)
    for layout, flags in (("antibody_antigen", ()), ("cyclic_peptides", ("--model", "boltz2"))):
        layout_json = os.path.join(work, f"{layout}.json")
        code, out, err = run([RELPOS, "fixtures", "layout", layout, "--out", layout_json])
        check(code == 0, f"fixtures layout {layout}: {err}")
        fixture = os.path.join(work, f"{layout}_grad.h5")
        code, out, err = run([sys.executable, EXPORT_FIXTURE, "--layout", layout_json, "--weights", weights,
                              "--out", fixture, "--grad", "11", *flags])
        check(code == 0, f"export_fixture.py --grad {layout} ({code}): {err}")
        if code != 0:
            continue
        code, out, err = run([RELPOS, "verify", fixture, "--backend", "all"])
        # onehot, onehot-blas and cpu (and cuda where a device is present) each check dW.
        check(code == 0 and out.count("dW (fp32)") >= 3 and "FAIL" not in out,
              f"{layout}: every backend's forward and dW must verify against PyTorch autograd ({code}):\n{out}{err}")
        broken = os.path.join(work, f"{layout}_grad_broken.h5")
        shutil.copy(fixture, broken)
        with h5py.File(broken, "r+") as f:
            dw = f["expected/grad_weight"][...]
            dw.flat[np.argmax(np.abs(dw))] = 0
            f["expected/grad_weight"][...] = dw
        code, out, err = run([RELPOS, "verify", broken, "--backend", "all"])
        check(code == 1 and "grad_weight (the backward)" in out,
              f"{layout}: the zeroed largest dW element must fail with exit 1, naming grad_weight ({code}):\n{out}{err}")


def prove_backward(*flags):
    return run([RELPOS, "prove", "--candidate-cmd", candidate_command(*flags), "--backward", "--regressions", "none"])


def check_candidates():
    for form in ("lookup", "onehot"):
        code, out, err = prove_backward("--form", form)
        check(code == 0 and "grad " in out, f"the {form} form differentiated by autograd must pass ({code}):\n{out}{err}")
    for mutant in GRADIENT_MUTANTS:
        code, out, err = prove_backward("--form", "lookup", "--mutant", mutant)
        check(code == 1, f"{mutant}: prove --backward must fail ({code}):\n{out}{err}")
        shrunk = re.search(r"grad\S* FAILED .*shrunk counterexample: (\d+) tokens?", out)
        check(shrunk is not None and int(shrunk.group(1)) <= 3, f"{mutant}: shrunk to a token or two:\n{out}")
        check("dW[c=" in out, f"{mutant}: the report names the dW element:\n{out}")


def main():
    work = tempfile.mkdtemp(prefix="relpos-backward-")
    try:
        check_autograd_fixtures(work)
        check_candidates()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary("torch backward")


if __name__ == "__main__":
    sys.exit(main())
