#!/usr/bin/python3
"""Cross-framework oracle: tools/export_fixture.py computes expected outputs
with PyTorch's F.one_hot + torch.cat + F.linear (fp32, CPU) and every C++
backend verifies them under bound:6; relpos's own bitwise reference agrees
with PyTorch's within that bound (relpos verify --candidate).

usage: torch_oracle.py RELPOS_BINARY SOURCE_DIR  (exit 77 = skipped: torch/h5py missing)
"""
import os
import shutil
import sys
import tempfile

from cli_checks import protenix_checkpoint, check, require, run, summary

h5py, np, torch = require(["h5py", "numpy", "torch"], "python3-torch python3-h5py")

RELPOS, SOURCE = sys.argv[1], sys.argv[2]
ORACLE = os.path.join(SOURCE, "tools", "export_fixture.py")
EXPORT = os.path.join(SOURCE, "tools", "export_weights.py")


def main():
    work = tempfile.mkdtemp(prefix="relpos-oracle-")
    try:
        checkpoint, _ = protenix_checkpoint(work, 11, "model.module.relative_position_encoding.linear_no_bias.weight")
        exported = os.path.join(work, "protenix.h5")
        code, out, err = run(["/usr/bin/python3", EXPORT, checkpoint, "--out", exported])
        check(code == 0, f"export_weights.py failed: {err}")

        cases = [("antibody_antigen", "af3", checkpoint), ("batch3", "af3", exported),
                 ("cropped_complex", "af3", exported), ("heteromer_ligand", "paper", exported),
                 ("large_complex_128", "af3", checkpoint)]
        for layout, variant, weights in cases:
            layout_json = os.path.join(work, f"{layout}.json")
            code, out, err = run([RELPOS, "fixtures", "layout", layout, "--out", layout_json])
            check(code == 0, f"relpos fixtures layout {layout} failed: {err}")
            oracle = os.path.join(work, f"oracle_{layout}_{variant}.h5")
            code, out, err = run(["/usr/bin/python3", ORACLE, "--layout", layout_json, "--weights", weights,
                                  "--out", oracle, "--variant", variant])
            check(code == 0, f"export_fixture.py {layout} failed ({code}): {err}")
            if code != 0:
                continue
            with h5py.File(oracle) as f:
                policy = f.attrs["policy"]
                check((policy.decode() if isinstance(policy, bytes) else policy) == "bound:6", "oracle policy bound:6")
                check("TF32" in str(f.attrs["generator"]), "the oracle states TF32's role")
            code, out, err = run([RELPOS, "verify", oracle, "--backend", "all"])
            check(code == 0 and out.count("PASS") == 3,
                  f"{layout}/{variant}: every backend must pass the PyTorch oracle under bound:6 ({code}):\n{out}{err}")
            check(out.count("bound:6") == 3, f"{layout}: all three backends held to bound:6:\n{out}")
            # relpos's bitwise reference, compared with PyTorch's output as a candidate.
            made = os.path.join(work, f"relpos_{layout}_{variant}.h5")
            code, out, err = run([RELPOS, "fixtures", "make", "--weights", exported, "--layout", layout_json,
                                  "--out", made, "--variant", variant])
            check(code == 0, f"fixtures make {layout}: {err}")
            code, out, err = run([RELPOS, "verify", made, "--candidate", oracle, "--policy", "bound:6"])
            check(code == 0, f"{layout}/{variant}: PyTorch vs relpos reference beyond bound:6 ({code}):\n{out}{err}")

        # The oracle is a real, independent computation: perturb one weight after the fact and it must fail.
        oracle = os.path.join(work, "oracle_antibody_antigen_af3.h5")
        if os.path.exists(oracle):
            broken = os.path.join(work, "broken.h5")
            shutil.copy(oracle, broken)
            with h5py.File(broken, "r+") as f:
                w = f["weights/linear_no_bias"][...]
                w[3, 10] += np.float32(1e-3)
                f["weights/linear_no_bias"][...] = w
            code, out, err = run([RELPOS, "verify", broken])
            check(code == 1, f"a changed weight must make the oracle fixture fail ({code}):\n{out}")
        code, out, err = run(["/usr/bin/python3", ORACLE, "--layout", os.path.join(work, "absent.json"),
                              "--weights", exported, "--out", os.path.join(work, "x.h5")])
        check(code == 2 and "absent.json" in err, f"missing layout: exit 2 naming it: {err}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary("torch oracle")


if __name__ == "__main__":
    sys.exit(main())
