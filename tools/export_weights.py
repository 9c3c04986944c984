#!/usr/bin/python3
"""Export the relative-position-encoding weight of a PyTorch checkpoint to an
HDF5 weight file that relpos reads (docs/weights.md).

    tools/export_weights.py CKPT --out W.h5 [--key KEY] [--r-max R] [--s-max S]

CKPT is a PyTorch .pt (Protenix / PXDesign: {"model": {...}}, keys possibly
prefixed with "module.") or a Lightning .ckpt (Boltz: {"state_dict": ...,
"hyper_parameters": ...}), or a bare state dict. It is loaded on the CPU with
torch.load(..., weights_only=True); a checkpoint that holds other pickled
objects needs --trust-pickle (full unpickling runs code from the file: only
for files you trust).

Without --key the known names are tried in order, with and without
"module.", at the top level and under "model" and "state_dict":
  relative_position_encoding.linear_no_bias.weight                   (Protenix/PXDesign trunk)
  diffusion_module.diffusion_conditioning.relpe.linear_no_bias.weight (Protenix diffusion copy)
  rel_pos.linear_layer.weight                                        (Boltz)

The HDF5 file holds the weight as float32 [c_z, F] (float16/bfloat16 widen
exactly; float64 only if every value is a float32 value) in a dataset named
by its checkpoint key, and root attributes: format = "relpos-weights",
format_version = 1, key, container, source (checkpoint file name),
source_sha256, source_dtype, source_shape, generator and, when given,
r_max / s_max. Exit status: 0 written, 2 bad input (one line on stderr).
"""
import argparse
import hashlib
import inspect
import os
import pickle
import sys
import tempfile

KNOWN_KEYS = (
    "relative_position_encoding.linear_no_bias.weight",
    "diffusion_module.diffusion_conditioning.relpe.linear_no_bias.weight",
    "rel_pos.linear_layer.weight",
)
CONTAINERS = ("", "model", "state_dict")


class InputError(Exception):
    """Bad input: reported as one line, exit status 2."""


def missing_torch_or_h5py(program):
    """The one-line error for `program` when python3-torch or python3-h5py is missing, else None."""
    try:
        import torch  # noqa: F401
        import h5py  # noqa: F401
    except ImportError as error:
        return (f"{program}: error: {error.name} is not installed for {sys.executable} "
                "(Debian: apt-get install python3-torch python3-h5py)")
    return None


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_checkpoint(path, trust_pickle=False):
    """torch.load on the CPU, weights_only where this torch supports it."""
    import torch

    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    supports_weights_only = "weights_only" in inspect.signature(torch.load).parameters
    if supports_weights_only and not trust_pickle:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as error:
            text = " ".join(str(error).split())
            reason = text[text.find("WeightsUnpickler error"):] if "WeightsUnpickler error" in text else text
            raise InputError(
                f"{path}: torch {torch.__version__}'s weights_only loader refuses it ({reason or 'unpickling error'}; "
                "torch 1.13 refuses even plain floats such as Lightning hyper-parameters); "
                "pass --trust-pickle to unpickle it fully (runs code from the file: only for files you trust)"
            ) from None
        except (RuntimeError, EOFError, OSError, ValueError) as error:
            raise InputError(f"{path}: not a PyTorch checkpoint torch.load can read ({error})".splitlines()[0]) from None
    try:
        return torch.load(path, map_location="cpu")
    except Exception as error:  # torch raises many types for damaged files
        raise InputError(f"{path}: not a PyTorch checkpoint torch.load can read ({error})".splitlines()[0]) from None


def containers_of(checkpoint):
    """(name, mapping) pairs where a state dict may live, in search order."""
    if hasattr(checkpoint, "state_dict") and callable(checkpoint.state_dict):
        checkpoint = checkpoint.state_dict()
    if not isinstance(checkpoint, dict):
        raise InputError(f"the checkpoint is a {type(checkpoint).__name__}, not a dict or state dict")
    found = []
    for name in CONTAINERS:
        mapping = checkpoint if name == "" else checkpoint.get(name)
        if isinstance(mapping, dict):
            found.append((name, mapping))
    return found


def float_matrices(containers):
    import torch

    names = []
    for container, mapping in containers:
        for key, value in mapping.items():
            if isinstance(value, torch.Tensor) and value.dim() == 2 and value.is_floating_point():
                names.append(f"{container + '/' if container else ''}{key} {list(value.shape)}")
    return names


def find_weight(checkpoint, key=None, path="checkpoint"):
    """The weight tensor, its key and the container it was found in."""
    import torch

    containers = containers_of(checkpoint)
    if key is not None:
        candidates = [key]
    else:
        candidates = [prefix + known for known in KNOWN_KEYS for prefix in ("", "module.")]
    for candidate in candidates:
        for container, mapping in containers:
            value = mapping.get(candidate)
            if isinstance(value, torch.Tensor):
                return value, candidate, container
    present = float_matrices(containers)
    listing = ", ".join(present[:8]) + (f" and {len(present) - 8} more" if len(present) > 8 else "")
    listing = listing or "none"
    if key is not None:
        raise InputError(f"{path}: no tensor '{key}' at the top level or under model/state_dict; "
                         f"rank-2 floating tensors present: {listing}")
    raise InputError(f"{path}: none of the known weight keys ({', '.join(KNOWN_KEYS)}, with or without 'module.') "
                     f"is present; rank-2 floating tensors present: {listing}; name one with --key")


def as_float32(tensor, where):
    """float32 without rounding, as a numpy array."""
    import torch

    if tensor.dim() != 2:
        raise InputError(f"{where}: expected a [c_z, F] matrix, found shape {list(tensor.shape)}")
    if not tensor.is_floating_point():
        raise InputError(f"{where}: dtype {tensor.dtype} is not a floating-point weight")
    wide = tensor.detach().cpu()
    narrow = wide.to(torch.float32)
    if wide.dtype == torch.float64:
        back = narrow.to(torch.float64)
        inexact = ~((back == wide) | (torch.isnan(wide) & torch.isnan(back)))
        if bool(inexact.any()):
            index = int(inexact.flatten().nonzero()[0])
            raise InputError(f"{where}: float64 element {index} = {wide.flatten()[index].item()!r} "
                             "is not exactly a float32 value (refusing to round)")
    return narrow.contiguous().numpy()


def write_weight_file(out, values, attributes, dataset, force=False):
    """Atomic: a temporary file beside `out`, renamed into place."""
    import h5py

    if os.path.exists(out) and not force:
        raise InputError(f"{out}: already exists (refusing to overwrite; remove it or pass --force)")
    directory = os.path.dirname(os.path.abspath(out))
    handle, temporary = tempfile.mkstemp(prefix="." + os.path.basename(out) + ".", dir=directory)
    os.close(handle)
    try:
        with h5py.File(temporary, "w", track_order=False) as file:
            for name, value in attributes.items():
                file.attrs[name] = value
            file.create_dataset(dataset, data=values, dtype="<f4", track_times=False)
        os.replace(temporary, out)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def export(checkpoint_path, out, key=None, r_max=None, s_max=None, force=False, trust_pickle=False):
    import h5py
    import torch

    checkpoint = load_checkpoint(checkpoint_path, trust_pickle)
    tensor, found_key, container = find_weight(checkpoint, key, checkpoint_path)
    values = as_float32(tensor, f"{checkpoint_path}: '{found_key}'")
    c_z, width = values.shape
    if r_max is not None and s_max is not None and 4 * r_max + 2 * s_max + 7 != width:
        raise InputError(f"{checkpoint_path}: '{found_key}' has F = {width} but r_max = {r_max} and "
                         f"s_max = {s_max} need F = {4 * r_max + 2 * s_max + 7}")
    attributes = {
        "format": "relpos-weights",
        "format_version": 1,
        "key": found_key,
        "container": container,
        "source": os.path.basename(checkpoint_path),
        "source_sha256": sha256_of(checkpoint_path),
        "source_dtype": str(tensor.dtype),
        "source_shape": list(tensor.shape),
        "generator": f"tools/export_weights.py (torch {torch.__version__}, h5py {h5py.__version__})",
    }
    if r_max is not None:
        attributes["r_max"] = r_max
    if s_max is not None:
        attributes["s_max"] = s_max
    write_weight_file(out, values, attributes, found_key, force)
    return found_key, container, tensor.dtype, (c_z, width)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="PyTorch .pt / Lightning .ckpt file")
    parser.add_argument("--out", required=True, help="HDF5 weight file to write")
    parser.add_argument("--key", help="the weight's name in the state dict (default: try the known names)")
    parser.add_argument("--r-max", type=int, help="record r_max (when F alone does not decide it)")
    parser.add_argument("--s-max", type=int, help="record s_max (when F alone does not decide it)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="unpickle fully when weights_only loading refuses the file (runs code from it)")
    args = parser.parse_args(argv)
    missing = missing_torch_or_h5py("export_weights.py")
    if missing:
        print(missing, file=sys.stderr)
        return 2
    try:
        for name in ("r_max", "s_max"):
            if getattr(args, name) is not None and getattr(args, name) < 0:
                raise InputError(f"--{name.replace('_', '-')} must be >= 0")
        key, container, dtype, shape = export(args.checkpoint, args.out, args.key, args.r_max, args.s_max,
                                              args.force, args.trust_pickle)
    except InputError as error:
        print(f"export_weights.py: error: {error}", file=sys.stderr)
        return 2
    where = f"{container}/{key}" if container else key
    print(f"wrote {args.out}: {where} {dtype} [{shape[0]}, {shape[1]}] -> float32")
    return 0


if __name__ == "__main__":
    sys.exit(main())
