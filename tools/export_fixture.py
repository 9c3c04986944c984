#!/usr/bin/python3
"""Cross-framework oracle: compute a layout's relative position encoding with
PyTorch's own one-hot path and write it as a relpos v1 fixture.

    tools/export_fixture.py --layout LAYOUT.json --weights W --out F.h5
                            [--key KEY] [--r-max R] [--s-max S] [--variant af3|paper]

The expected output is what Protenix's RelativePositionEncoding.forward runs:
F.one_hot of the three clipped offsets, torch.cat with the same-entity column,
.float(), then F.linear with W, all in float32 on the CPU. TF32 does not apply
(torch.backends.cuda.matmul.allow_tf32 affects CUDA matmuls only), so this is
a true fp32 GEMM; its summation order is OpenBLAS/MKL's, not column order, so
the fixture's policy is bound:6 (SPEC.md).

LAYOUT is layout JSON (`relpos fixtures layout NAME --out LAYOUT.json` writes a
built-in one). W is an HDF5 weight file from tools/export_weights.py, or a
PyTorch .pt / Lightning .ckpt checkpoint (the weight is found as
export_weights.py finds it). Exit status: 0 written, 2 bad input.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_weights  # noqa: E402  (same directory)
from export_weights import InputError  # noqa: E402

FIELDS = ("asym_id", "residue_index", "entity_id", "sym_id", "token_index")


def read_layout(path):
    try:
        with open(path, encoding="utf-8") as stream:
            document = json.load(stream)
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise InputError(f"{path}: expected a JSON object with {', '.join(FIELDS)}")
    arrays = {}
    for field in FIELDS:
        if field not in document:
            raise InputError(f"{path}: missing key '{field}'")
        arrays[field] = document[field]
    import torch

    try:
        tensors = {field: torch.tensor(values, dtype=torch.int64) for field, values in arrays.items()}
    except (TypeError, ValueError) as error:
        raise InputError(f"{path}: the id arrays must be integer lists [N] or [B, N] ({error})") from None
    shapes = {tuple(t.shape) for t in tensors.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) not in (1, 2):
        raise InputError(f"{path}: the five arrays must share one shape [N] or [B, N]; found {sorted(shapes)}")
    return tensors


def relative_position_encoding(ids, weight, r_max, s_max, variant):
    """Protenix's RelativePositionEncoding.forward (the paper variant: Boltz's chain term)."""
    import torch
    import torch.nn.functional as F

    asym, residue, entity, sym, token = (ids[f] for f in FIELDS)
    b_same_chain = (asym[..., :, None] == asym[..., None, :]).long()
    b_same_residue = (residue[..., :, None] == residue[..., None, :]).long()
    b_same_entity = (entity[..., :, None] == entity[..., None, :]).long()
    d_residue = torch.clip(residue[..., :, None] - residue[..., None, :] + r_max, min=0, max=2 * r_max) * b_same_chain \
        + (1 - b_same_chain) * (2 * r_max + 1)
    a_rel_pos = F.one_hot(d_residue, 2 * (r_max + 1))
    d_token = torch.clip(token[..., :, None] - token[..., None, :] + r_max, min=0, max=2 * r_max) \
        * b_same_chain * b_same_residue + (1 - b_same_chain * b_same_residue) * (2 * r_max + 1)
    a_rel_token = F.one_hot(d_token, 2 * (r_max + 1))
    chain_term = b_same_entity if variant == "af3" else 1 - b_same_chain
    d_chain = torch.clip(sym[..., :, None] - sym[..., None, :] + s_max, min=0, max=2 * s_max) * chain_term \
        + (1 - chain_term) * (2 * s_max + 1)
    a_rel_chain = F.one_hot(d_chain, 2 * (s_max + 1))
    features = torch.cat([a_rel_pos, a_rel_token, b_same_entity[..., None], a_rel_chain], dim=-1).float()
    return F.linear(features, weight)


def load_weight(path, key, trust_pickle):
    """(float32 numpy [c_z, F], key, source name, source sha256, recorded r_max, s_max)."""
    import h5py

    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    if h5py.is_hdf5(path):
        with h5py.File(path, "r") as file:
            attrs = dict(file.attrs)
            name = key or attrs.get("key")
            candidates = [name] if name else [p + k for k in export_weights.KNOWN_KEYS for p in ("", "module.")]
            for candidate in candidates:
                if isinstance(candidate, bytes):
                    candidate = candidate.decode()
                if candidate in file:
                    values = export_weights.as_float32(__import__("torch").from_numpy(file[candidate][...]),
                                                       f"{path}: '{candidate}'")
                    text = lambda a: attrs[a].decode() if isinstance(attrs.get(a), bytes) else str(attrs.get(a, ""))
                    return (values, candidate, text("source") or os.path.basename(path),
                            text("source_sha256") or export_weights.sha256_of(path),
                            attrs.get("r_max"), attrs.get("s_max"))
            raise InputError(f"{path}: no weight dataset among {candidates}; pass --key")
    checkpoint = export_weights.load_checkpoint(path, trust_pickle)
    tensor, found, _ = export_weights.find_weight(checkpoint, key, path)
    values = export_weights.as_float32(tensor, f"{path}: '{found}'")
    return values, found, os.path.basename(path), export_weights.sha256_of(path), None, None


def choose_clip(width, r_max, s_max, where):
    """The rule of docs/weights.md "r_max and s_max" (same as the C++ importer)."""
    if width < 7 or width % 2 == 0:
        raise InputError(f"{where}: F = {width} fits no config (F = 4 r_max + 2 s_max + 7 is odd and at least 7)")
    half = (width - 7) // 2
    if r_max is not None and s_max is not None:
        if 4 * r_max + 2 * s_max + 7 != width:
            raise InputError(f"{where}: F = {width} but r_max = {r_max} and s_max = {s_max} "
                             f"need F = {4 * r_max + 2 * s_max + 7}")
        return r_max, s_max
    if r_max is not None:
        if half - 2 * r_max < 0:
            raise InputError(f"{where}: F = {width} is too small for r_max = {r_max}")
        return r_max, half - 2 * r_max
    if s_max is not None:
        if half - s_max < 0 or (half - s_max) % 2:
            raise InputError(f"{where}: F = {width} leaves no integer r_max >= 0 for s_max = {s_max}")
        return (half - s_max) // 2, s_max
    if width == 139:
        return 32, 2
    if half <= 1:
        return 0, half
    raise InputError(f"{where}: F = {width} is ambiguous; pass --r-max and/or --s-max")


def write_fixture(out, ids, weight, expected, meta, force):
    import h5py
    import tempfile

    if os.path.exists(out) and not force:
        raise InputError(f"{out}: already exists (refusing to overwrite; remove it or pass --force)")
    handle, temporary = tempfile.mkstemp(prefix="." + os.path.basename(out) + ".", dir=os.path.dirname(os.path.abspath(out)))
    os.close(handle)
    try:
        with h5py.File(temporary, "w") as file:
            for name, value in meta.items():
                file.attrs[name] = value
            for field in FIELDS:
                file.create_dataset(f"inputs/{field}", data=ids[field].numpy())
            file.create_dataset("weights/linear_no_bias", data=weight, dtype="<f4")
            file.create_dataset("expected/output", data=expected, dtype="<f4", compression="gzip", shuffle=True)
        os.replace(temporary, out)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layout", required=True, help="layout JSON file")
    parser.add_argument("--weights", required=True, help="HDF5 weight file or PyTorch checkpoint")
    parser.add_argument("--out", required=True, help="v1 fixture to write")
    parser.add_argument("--key", help="the weight's name (default: as export_weights.py finds it)")
    parser.add_argument("--r-max", type=int)
    parser.add_argument("--s-max", type=int)
    parser.add_argument("--variant", choices=("af3", "paper"), default="af3")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.add_argument("--trust-pickle", action="store_true", help="see export_weights.py")
    args = parser.parse_args(argv)
    missing = export_weights.missing_torch_or_h5py("export_fixture.py")
    if missing:
        print(missing, file=sys.stderr)
        return 2
    import torch
    try:
        ids = read_layout(args.layout)
        weight, key, source, source_sha256, recorded_r, recorded_s = load_weight(args.weights, args.key,
                                                                                 args.trust_pickle)
        r_max, s_max = choose_clip(weight.shape[1], args.r_max if args.r_max is not None else recorded_r,
                                   args.s_max if args.s_max is not None else recorded_s, args.weights)
        with torch.no_grad():
            expected = relative_position_encoding(ids, torch.from_numpy(weight), int(r_max), int(s_max), args.variant)
        meta = {
            "format": "relpos-fixture", "format_version": 1, "variant": args.variant,
            "r_max": int(r_max), "s_max": int(s_max), "c_z": int(weight.shape[0]),
            "precision": "fp32", "policy": "bound:6",
            "source": source, "source_sha256": source_sha256, "weight_key": key,
            "generator": f"tools/export_fixture.py (torch {torch.__version__}: F.one_hot + torch.cat + F.linear, "
                         "fp32 on CPU, TF32 not applicable)",
        }
        write_fixture(args.out, ids, weight, expected.numpy(), meta, args.force)
    except InputError as error:
        print(f"export_fixture.py: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {list(expected.shape)} from torch F.linear (fp32, CPU), policy bound:6")
    return 0


if __name__ == "__main__":
    sys.exit(main())
