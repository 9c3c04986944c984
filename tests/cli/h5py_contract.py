#!/usr/bin/python3
"""Format v1 is a contract: a fixture written by h5py alone (no relpos code)
verifies; a copy with one expected value moved by one ULP fails with exit 1
and names the pair and its bins; malformed files exit 2 with one clear line.

The expected output is computed here with numpy float32 lookup sums in the
order of SPEC.md: W[:, d_res] + W[:, 2r+2+d_tok] (+ W[:, 4r+4] if same
entity) + W[:, 4r+5+d_chain].

usage: h5py_contract.py RELPOS_BINARY  (exit 77 = skipped: h5py/numpy missing)
"""
import os
import shutil
import sys
import tempfile

from cli_checks import check, require, run, summary

h5py, np = require(["h5py", "numpy"], "python3-h5py python3-numpy")

RELPOS = sys.argv[1]


def relpos(*args, env=None):
    return run([RELPOS, *args], env=env)


def layout_arrays():
    """A protein with a modified residue (per-atom tokens) and a numbering gap,
    a second copy of it, a 5-atom ligand and an ion: built by hand."""
    asym, residue, entity, sym = [], [], [], []

    def add(a, r, e, s):
        asym.append(a); residue.append(r); entity.append(e); sym.append(s)

    for copy in range(2):
        for r in range(1, 6):
            add(copy, r, 0, copy)
        for _ in range(4):           # residue 6, modified: one token per atom
            add(copy, 6, 0, copy)
        for r in range(20, 26):      # numbering gap 6 -> 20
            add(copy, r, 0, copy)
    for _ in range(5):
        add(2, 1, 1, 0)              # ligand: every atom a token, one residue_index
    add(3, 1, 2, 0)                  # ion
    n = len(asym)
    return {
        "asym_id": np.array(asym), "residue_index": np.array(residue), "entity_id": np.array(entity),
        "sym_id": np.array(sym), "token_index": np.arange(100, 100 + n),
    }


def bins(ids, r_max, s_max):
    a, r, e, s, t = (ids[k] for k in ("asym_id", "residue_index", "entity_id", "sym_id", "token_index"))
    same_chain = a[:, None] == a[None, :]
    same_res = r[:, None] == r[None, :]
    same_entity = e[:, None] == e[None, :]
    d_res = np.where(same_chain, np.clip(r[:, None] - r[None, :] + r_max, 0, 2 * r_max), 2 * r_max + 1)
    d_tok = np.where(same_chain & same_res, np.clip(t[:, None] - t[None, :] + r_max, 0, 2 * r_max), 2 * r_max + 1)
    d_chain = np.where(same_entity, np.clip(s[:, None] - s[None, :] + s_max, 0, 2 * s_max), 2 * s_max + 1)
    return d_res, d_tok, same_entity, d_chain


def expected_output(ids, weight, r_max, s_max):
    d_res, d_tok, same_entity, d_chain = bins(ids, r_max, s_max)
    table = weight.T.astype(np.float32)          # [F, c_z]
    total = table[d_res] + table[2 * r_max + 2 + d_tok]
    total = np.where(same_entity[..., None], total + table[4 * r_max + 4], total)
    total = total + table[4 * r_max + 5 + d_chain]
    assert total.dtype == np.float32
    return total


def write_fixture(path, ids, weight, expected, r_max, s_max, fixed_strings=False, int32=False, compact=False):
    def text(value):
        return np.bytes_(value) if fixed_strings else value

    def integer(value):
        return np.int32(value) if int32 else value

    with h5py.File(path, "w") as f:
        f.attrs["format"] = text("relpos-fixture")
        f.attrs["format_version"] = integer(1)
        f.attrs["variant"] = text("af3")
        f.attrs["r_max"] = integer(r_max)
        f.attrs["s_max"] = integer(s_max)
        f.attrs["c_z"] = integer(weight.shape[0])
        f.attrs["precision"] = text("fp32")
        f.attrs["policy"] = text("bitwise")
        f.attrs["source"] = text("synthetic: numpy default_rng(7) normal * 0.2, written by h5py")
        f.attrs["source_sha256"] = text("")
        f.attrs["weight_key"] = text("")
        f.attrs["generator"] = text(f"tests/cli/h5py_contract.py (h5py {h5py.__version__})")
        for name, values in ids.items():
            f[f"inputs/{name}"] = values.astype(np.int32 if int32 else np.int64)
        f["weights/linear_no_bias"] = weight
        if compact:
            c_z = weight.shape[0]
            rows, classes = np.unique(expected.reshape(-1, c_z).view(np.uint32), axis=0, return_inverse=True)
            f["expected/classes"] = classes.reshape(expected.shape[:-1]).astype(np.int32)
            f["expected/rows"] = rows.view(np.float32)
            f["expected"].attrs["encoding"] = "class-map"
        else:
            f["expected/output"] = expected


def main():
    work = tempfile.mkdtemp(prefix="relpos-h5py-")
    try:
        r_max, s_max, c_z = 4, 1, 8
        width = 4 * r_max + 2 * s_max + 7
        rng = np.random.default_rng(7)
        weight = (rng.standard_normal((c_z, width)) * 0.2).astype(np.float32)
        ids = layout_arrays()
        expected = expected_output(ids, weight, r_max, s_max)

        # 1. Plain h5py, default settings (variable-length strings, int64 attributes and ids).
        plain = os.path.join(work, "plain.h5")
        write_fixture(plain, ids, weight, expected, r_max, s_max)
        code, out, err = relpos("verify", plain)
        check(code == 0, f"h5py fixture should verify (exit {code}):\n{out}{err}")
        check(out.count("PASS") == 3, f"expected 3 PASS rows (onehot, onehot-blas, cpu):\n{out}")

        # 2. Fixed-length strings, int32 attributes and ids, a batch of two layouts.
        other = {k: v.copy() for k, v in ids.items()}
        other["residue_index"] = other["residue_index"] + 1000       # a numbering offset
        other["sym_id"] = other["sym_id"][::-1].copy()
        batched = {k: np.stack([ids[k], other[k]]) for k in ids}
        expected_batch = np.stack([expected, expected_output(other, weight, r_max, s_max)])
        variant = os.path.join(work, "fixed_int32_batched.h5")
        write_fixture(variant, batched, weight, expected_batch, r_max, s_max, fixed_strings=True, int32=True)
        code, out, err = relpos("verify", variant)
        check(code == 0, f"fixed-length/int32/batched fixture should verify (exit {code}):\n{out}{err}")

        # 3. The compact class-map encoding written by h5py; a plain reader expands it as rows[classes].
        compact = os.path.join(work, "compact.h5")
        write_fixture(compact, ids, weight, expected, r_max, s_max, compact=True)
        with h5py.File(compact) as f:
            expanded = f["expected/rows"][...][f["expected/classes"][...]]
        check(np.array_equal(expanded.view(np.uint32), expected.view(np.uint32)), "rows[classes] must equal the output")
        code, out, err = relpos("verify", compact)
        check(code == 0, f"h5py class-map fixture should verify (exit {code}):\n{out}{err}")

        # 4. One expected value moved by one ULP: exit 1, report names the pair and its bins.
        i, j, c = 3, 6, 5       # same chain, residue 4 vs an atom of modified residue 6: d_res = 4 - 6 + r_max = 2
        shifted = expected.copy()
        shifted[i, j, c] = np.nextafter(shifted[i, j, c], np.float32(np.inf))
        ulp = os.path.join(work, "one_ulp.h5")
        write_fixture(ulp, ids, weight, shifted, r_max, s_max)
        code, out, err = relpos("verify", ulp, "--backend", "onehot", "cpu")
        check(code == 1, f"a one-ULP change should exit 1, got {code}:\n{out}{err}")
        d_res, d_tok, same_entity, d_chain = bins(ids, r_max, s_max)
        check(f"pair (i={i}, j={j})" in out, f"report should name pair (i={i}, j={j}):\n{out}")
        wanted_bins = (f"bins: d_res={d_res[i, j]} d_tok={d_tok[i, j]} same_entity={int(same_entity[i, j])} "
                       f"d_chain={d_chain[i, j]}")
        check(wanted_bins in out, f"report should say '{wanted_bins}':\n{out}")
        check("1 of " in out, f"exactly one element differs:\n{out}")

        # 5. Malformed files: exit 2 and exactly one line on stderr naming the file.
        def malformed(name, mutate, phrase):
            path = os.path.join(work, name + ".h5")
            shutil.copy(plain, path)
            with h5py.File(path, "r+") as f:
                mutate(f)
            code, out, err = relpos("verify", path)
            lines = [line for line in err.splitlines() if line.strip()]
            check(code == 2, f"{name}: exit 2 expected, got {code}:\n{out}{err}")
            check(len(lines) == 1, f"{name}: one stderr line expected, got {len(lines)}:\n{err}")
            check(bool(lines) and lines[0].startswith("relpos: error: ") and path in lines[0] and phrase in lines[0],
                  f"{name}: stderr should name {path} and say '{phrase}':\n{err}")

        def replace(f, name, data):
            del f[name]
            f[name] = data

        malformed("missing_dataset", lambda f: f.__delitem__("inputs/sym_id"), "/inputs/sym_id")
        malformed("weights_float64", lambda f: replace(f, "weights/linear_no_bias", weight.astype(np.float64)),
                  "float32")
        malformed("width_mismatch", lambda f: f.attrs.__setitem__("r_max", 5), "F = 4*r_max + 2*s_max + 7")
        malformed("unknown_format", lambda f: f.attrs.__setitem__("format", "other-format"), "format")
        malformed("version_3", lambda f: f.attrs.__setitem__("format_version", 3), "version 3")
        malformed("v1_autocast", lambda f: f.attrs.__setitem__("precision", "bf16-autocast"), "format_version 2")
        malformed("unequal_inputs", lambda f: replace(f, "inputs/entity_id", ids["entity_id"][:-1]), "differs")
        malformed("output_shape", lambda f: replace(f, "expected/output", expected[:, :-1]), "/expected/output")
        malformed("missing_attribute", lambda f: f.attrs.__delitem__("policy"), "policy")
        malformed("float_ids", lambda f: replace(f, "inputs/asym_id", ids["asym_id"].astype(np.float32)), "integer")
        malformed("bf16_not_rounded", lambda f: f.attrs.__setitem__("precision", "bf16"), "not a bf16 value")
        not_hdf5 = os.path.join(work, "not_hdf5.h5")
        with open(not_hdf5, "w") as stream:
            stream.write("this is not HDF5\n")
        code, out, err = relpos("verify", not_hdf5)
        check(code == 2 and err.strip().count("\n") == 0 and "not an HDF5 file" in err,
              f"text file: exit 2 and one line expected, got {code}:\n{err}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary("h5py contract")


if __name__ == "__main__":
    sys.exit(main())
