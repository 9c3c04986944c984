#!/usr/bin/python3
"""Cross-framework oracle: compute a layout's relative position encoding with
PyTorch's own one-hot path and write it as a relpos fixture (v1, or v2 when a
SPEC part 2 addition is used).

    tools/export_fixture.py --layout LAYOUT.json --weights W --out F.h5
                            [--key KEY] [--r-max R] [--s-max S] [--variant af3|paper]
                            [--cyclic none|boltz] [--precision fp32|bf16|bf16-autocast]
                            [--model NAME] [--grad SEED] [--force] [--trust-pickle]

The expected output is what Protenix's RelativePositionEncoding.forward runs
(tools/relpos_reference.py, form "onehot"): F.one_hot of the three clipped
offsets, torch.cat with the same-entity column, .float(), then F.linear with W,
all in float32 on the CPU. TF32 does not apply
(torch.backends.cuda.matmul.allow_tf32 affects CUDA matmuls only), so this is
a true fp32 GEMM; its summation order is OpenBLAS/MKL's, not column order, so
the fixture's policy is bound:6 (SPEC.md). --precision bf16 rounds that fp32
result to bf16 once; bf16-autocast runs F.linear under
torch.autocast("cpu", bfloat16) (W rounded to bf16, fp32 accumulation, bf16
result); both carry policy rbound:6.

--cyclic boltz wraps the residue offsets as Boltz-1/2 do, with the periods of
the layout's "cyclic_period" key (one integer >= 0 per token, 0 = not cyclic;
the key is required with boltz and refused otherwise). --model protenix,
pxdesign, af3, openfold3, boltz1 or boltz2 sets the variant, cyclic mode,
r_max and s_max of that preset (SPEC part 2) where those flags are not given,
and is recorded as the root attribute "model". --grad SEED (fp32 only) adds a
standard normal G from torch.Generator().manual_seed(SEED) as
/inputs/grad_output and the autograd weight gradient of sum(output * G) as
/expected/grad_weight. Any of cyclic boltz, bf16-autocast, --grad or --model
makes the file format_version 2 (with root attribute "cyclic"); without them
the file is exactly the v1 file.

LAYOUT is layout JSON (`relpos fixtures layout NAME --out LAYOUT.json` writes a
built-in one). W is an HDF5 weight file from tools/export_weights.py, or a
PyTorch .pt / Lightning .ckpt checkpoint (the weight is found as
export_weights.py finds it). Exit status: 0 written, 2 bad input (one line on
stderr).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_weights  # noqa: E402  (same directory)
from export_weights import InputError  # noqa: E402

FIELDS = ("asym_id", "residue_index", "entity_id", "sym_id", "token_index")
POLICIES = {"fp32": "bound:6", "bf16": "rbound:6", "bf16-autocast": "rbound:6"}
GENERATED_BY = {
    "fp32": "F.one_hot + torch.cat + F.linear, fp32 on CPU, TF32 not applicable",
    "bf16": "F.one_hot + torch.cat + F.linear, fp32 on CPU, TF32 not applicable, rounded once to bf16",
    "bf16-autocast": "F.one_hot + torch.cat + F.linear under torch.autocast('cpu', bfloat16): "
                     "W rounded to bf16, fp32 accumulation, bf16 result",
}


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr (exit 2), without the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def is_integer_array(values):
    """True for an int or (nested) lists of ints; JSON booleans and floats are not ids."""
    if isinstance(values, list):
        return all(is_integer_array(value) for value in values)
    return isinstance(values, int) and not isinstance(values, bool)


def read_layout(path, cyclic):
    """(ids: FIELDS -> int64 tensor, cyclic_period tensor or None) of a layout JSON file."""
    try:
        with open(path, encoding="utf-8") as stream:
            document = json.load(stream)
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise InputError(f"{path}: expected a JSON object with {', '.join(FIELDS)}")
    keys = FIELDS
    if "cyclic_period" in document and cyclic != "boltz":
        raise InputError(f"{path}: has 'cyclic_period' but the cyclic mode is none; "
                         "pass --cyclic boltz (or a --model with cyclic offsets)")
    if cyclic == "boltz":
        if "cyclic_period" not in document:
            raise InputError(f"{path}: --cyclic boltz needs the key 'cyclic_period' (one period per token, "
                             "0 = not cyclic)")
        keys = FIELDS + ("cyclic_period",)
    for key in keys:
        if key not in document:
            raise InputError(f"{path}: missing key '{key}'")
        if not is_integer_array(document[key]):
            raise InputError(f"{path}: '{key}' must hold integers only, as a list [N] or [B, N]")
    import torch

    try:
        tensors = {key: torch.tensor(document[key], dtype=torch.int64) for key in keys}
    except (TypeError, ValueError, RuntimeError, OverflowError) as error:
        raise InputError(f"{path}: the id arrays must be int64 lists [N] or [B, N] ({error})") from None
    shapes = {tuple(t.shape) for t in tensors.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) not in (1, 2):
        raise InputError(f"{path}: the arrays {', '.join(keys)} must share one shape [N] or [B, N]; "
                         f"found {sorted(shapes)}")
    cyclic_period = tensors.pop("cyclic_period", None)
    if cyclic_period is not None and bool((cyclic_period < 0).any()):
        raise InputError(f"{path}: 'cyclic_period' has a negative value {int(cyclic_period.min())} (0 = not "
                         "cyclic; Boltz tests != 0 where SPEC.md tests > 0, so a negative period has no agreed meaning)")
    return tensors, cyclic_period


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


def write_fixture(out, ids, weight, expected, meta, force, inputs=None, expected_extra=None):
    """Write the fixture atomically. `inputs` and `expected_extra` (name -> array) are the v2
    datasets /inputs/cyclic_period, /inputs/grad_output and /expected/grad_weight."""
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
            for name, value in (inputs or {}).items():
                file.create_dataset(f"inputs/{name}", data=value, compression="gzip", shuffle=True)
            file.create_dataset("weights/linear_no_bias", data=weight, dtype="<f4")
            file.create_dataset("expected/output", data=expected, dtype="<f4", compression="gzip", shuffle=True)
            for name, value in (expected_extra or {}).items():
                file.create_dataset(f"expected/{name}", data=value, dtype="<f4")
        os.replace(temporary, out)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def resolve_config(args, reference):
    """(variant, cyclic, r_max or None, s_max or None): the flags, else the --model preset, else
    the defaults af3 / none / (r_max, s_max recorded in the weight file or decided by F)."""
    preset = {}
    if args.model is not None:
        if args.model not in reference.MODELS:
            raise InputError(f"--model {args.model}: unknown model (known: {', '.join(reference.MODELS)})")
        preset = reference.MODELS[args.model]
    for name in ("r_max", "s_max"):
        if getattr(args, name) is not None and getattr(args, name) < 0:
            raise InputError(f"--{name.replace('_', '-')} must be >= 0")
    pick = lambda name, default: getattr(args, name) if getattr(args, name) is not None else preset.get(name, default)
    return pick("variant", "af3"), pick("cyclic", "none"), pick("r_max", None), pick("s_max", None)


def main(argv=None):
    parser = OneLineParser(prog="export_fixture.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--layout", required=True, help="layout JSON file")
    parser.add_argument("--weights", required=True, help="HDF5 weight file or PyTorch checkpoint")
    parser.add_argument("--out", required=True, help="fixture to write")
    parser.add_argument("--key", help="the weight's name (default: as export_weights.py finds it)")
    parser.add_argument("--r-max", type=int)
    parser.add_argument("--s-max", type=int)
    parser.add_argument("--variant", choices=("af3", "paper"), help="chain term (default af3, or the model's)")
    parser.add_argument("--cyclic", choices=("none", "boltz"),
                        help="Boltz cyclic residue offsets from the layout's cyclic_period "
                             "(default none, or the model's)")
    parser.add_argument("--precision", choices=tuple(POLICIES),
                        help="default fp32, or the --model's usual regime (as relpos fixtures make)")
    parser.add_argument("--model", help="a SPEC part 2 preset: protenix, pxdesign, af3, openfold3, boltz1, boltz2")
    parser.add_argument("--grad", type=int, metavar="SEED",
                        help="also store a seeded grad_output and the weight gradient (fp32 only)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.add_argument("--trust-pickle", action="store_true", help="see export_weights.py")
    args = parser.parse_args(argv)
    if args.grad is not None and not 0 <= args.grad < 2 ** 64:
        parser.error(f"--grad {args.grad}: the seed must be in 0 .. 2^64-1")
    missing = export_weights.missing_torch_or_h5py("export_fixture.py")
    if missing:
        print(missing, file=sys.stderr)
        return 2
    import torch
    import relpos_reference as reference
    if args.precision is None:
        known = reference.MODELS.get(args.model, {})
        # With --grad the fp32 regime (the backward is fp32 only), else the model's usual one.
        args.precision = "fp32" if args.grad is not None else known.get("precisions", ("fp32",))[0]
    if args.grad is not None and args.precision != "fp32":
        parser.error(f"--grad needs --precision fp32 (the backward is fp32 only), not {args.precision}")

    try:
        variant, cyclic, r_max, s_max = resolve_config(args, reference)
        ids, cyclic_period = read_layout(args.layout, cyclic)
        weight, key, source, source_sha256, recorded_r, recorded_s = load_weight(args.weights, args.key,
                                                                                 args.trust_pickle)
        r_max, s_max = choose_clip(weight.shape[1], r_max if r_max is not None else recorded_r,
                                   s_max if s_max is not None else recorded_s, args.weights)
        if args.model is not None and weight.shape[0] != reference.MODELS[args.model]["c_z"]:
            raise InputError(f"{args.weights}: --model {args.model} has c_z {reference.MODELS[args.model]['c_z']} "
                             f"but the weight is {list(weight.shape)}")
        arguments = dict(ids=ids, weight=torch.from_numpy(weight), r_max=int(r_max), s_max=int(s_max),
                         variant=variant, cyclic=cyclic, cyclic_period=cyclic_period, form="onehot")
        with torch.no_grad():
            expected = reference.forward(precision=args.precision, **arguments)
        inputs, expected_extra = {}, {}
        generator = f"tools/export_fixture.py (torch {torch.__version__}: {GENERATED_BY[args.precision]}"
        if cyclic == "boltz":
            inputs["cyclic_period"] = cyclic_period.numpy()
            generator += "; residue offsets wrapped as Boltz-1/2 do"
        if args.grad is not None:
            grad_output = torch.randn(expected.shape, generator=torch.Generator().manual_seed(args.grad),
                                      dtype=torch.float32)
            inputs["grad_output"] = grad_output.numpy()
            expected_extra["grad_weight"] = reference.weight_gradient(grad_output=grad_output, **arguments).numpy()
            generator += (f"; grad_output standard normal from torch.Generator().manual_seed({args.grad}), "
                          "grad_weight by autograd of the fp32 forward")
        version2 = cyclic == "boltz" or args.precision == "bf16-autocast" or bool(inputs) or args.model is not None
        policy = POLICIES[args.precision]
        meta = {
            "format": "relpos-fixture", "format_version": 2 if version2 else 1, "variant": variant,
            "r_max": int(r_max), "s_max": int(s_max), "c_z": int(weight.shape[0]),
            "precision": args.precision, "policy": policy,
            "source": source, "source_sha256": source_sha256, "weight_key": key,
            "generator": generator + ")",
        }
        if version2:
            meta["cyclic"] = cyclic
            if args.model is not None:
                meta["model"] = args.model
        write_fixture(args.out, ids, weight, expected.numpy(), meta, args.force, inputs, expected_extra)
    except InputError as error:
        print(f"export_fixture.py: error: {error}", file=sys.stderr)
        return 2
    computed = {"fp32": "fp32", "bf16": "fp32 rounded to bf16", "bf16-autocast": "bf16 autocast"}[args.precision]
    extras = ", ".join(list(inputs) + list(expected_extra))
    print(f"wrote {args.out}: {list(expected.shape)} from torch F.linear ({computed}, CPU), policy {policy}"
          + (f" (format v2, cyclic {cyclic}{'; with ' + extras if extras else ''})" if version2 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
