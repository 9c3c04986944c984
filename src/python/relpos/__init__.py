"""relpos: AlphaFold 3's relative position encoding (Algorithm 3) as a proven lookup.

    relpos.lookup(feats, weight, model="protenix")       the pair tensor, no one-hot temporaries
    relpos.weight_gradient(feats, weight, grad_output)   dW of sum(pair * grad_output)
    relpos.torch.RelativePositionEncoding(c_z=128)       an nn.Module with that forward and backward
    relpos.prove(fn, model="boltz2")                     the property suite on fn(feats, weight[, config])
    relpos.assert_equivalent(fn, model="af3")            the same, raising EquivalenceError

The kernels are relpos's cpu backend (cuda for CUDA tensors where built); the
harness is relpos's C++ harness (generation, shrinking, coverage, report).
See the README's "Python" section.
"""
import sys

import numpy as np

from . import _relpos
from ._harness import Counterexample, EquivalenceError, Report, assert_equivalent, prove
from ._inputs import FIELDS, Config, feature_width, presets

__version__ = _relpos.__version__
cuda_built = _relpos.cuda_built
__all__ = ["lookup", "weight_gradient", "prove", "assert_equivalent", "EquivalenceError", "Report",
           "Counterexample", "Config", "feature_width", "presets", "backends", "FIELDS", "cuda_built"]

from . import _inputs as _in  # noqa: E402


def backends():
    """Every registered backend: name, summary, available, detail, exact_order, has_backward."""
    return _relpos.backends()


def _problem(where, feats, weight, settings):
    """(config, ids, periods, weight array, id shape) for one call."""
    config = _in.resolve_config(where, c_z=_in.weight_channels(where, weight), **settings)
    ids, periods, shape = _in.layout_arrays(where, feats, config.cyclic)
    return config, ids, periods, _in.weight_array(where, weight, config), shape


def _threads(where, threads):
    if threads is None:
        torch = sys.modules.get("torch")
        return torch.get_num_threads() if torch is not None else 0
    threads = _in._integer(where, "threads", threads)
    if threads < 0:
        raise ValueError(f"{where}: threads must be >= 0 (0 = all cores), not {threads}")
    return threads


def _check_out(where, out, expected_shape, dtypes):
    """A contiguous tensor/array of the pair shape in one of `dtypes` (names); returns its dtype name."""
    if _in.is_torch(out):
        dtype = str(out.dtype).replace("torch.", "")
        contiguous = out.is_contiguous()
        if out.requires_grad:
            raise ValueError(f"{where}: out requires grad; relpos writes into it outside autograd")
    elif isinstance(out, np.ndarray):
        dtype = str(out.dtype)
        contiguous = out.flags.c_contiguous and out.flags.writeable
    else:
        raise TypeError(f"{where}: out must be a torch tensor or a numpy array, not {type(out).__name__}")
    if dtype not in dtypes:
        raise TypeError(f"{where}: out must be {' or '.join(dtypes)} here, not {dtype}")
    if list(out.shape) != list(expected_shape):
        raise ValueError(f"{where}: out has shape {list(out.shape)} but the pair tensor is {list(expected_shape)}")
    if not contiguous:
        raise ValueError(f"{where}: out must be contiguous (and writable)")
    return dtype


def _memory(value, pair_shape):
    """The tensor's or array's memory as [B, N, N, c_z] (an unbatched pair tensor is a batch of one)."""
    address = value.data_ptr() if _in.is_torch(value) else value.ctypes.data
    return _relpos.Memory(address, [1] * (4 - len(pair_shape)) + list(pair_shape))


def _new_output(as_torch, shape, precision, device):
    if as_torch:
        import torch
        dtype = torch.float32 if precision == "fp32" else torch.bfloat16
        return torch.empty(shape, dtype=dtype, device=device)
    # numpy has no bfloat16: bf16 values are returned widened to float32 (exactly).
    return np.empty(shape, dtype=np.float32)


def lookup(feats, weight, *, model=None, r_max=None, s_max=None, variant=None, cyclic=None, precision=None,
           out=None, accumulate=False, threads=None):
    """The pair tensor [N, N, c_z] ([B, N, N, c_z] for [B, N] ids) of AF3's relative position encoding.

    feats: dict with asym_id, residue_index, entity_id, sym_id, token_index (any integer dtype,
    [N] or [B, N], torch or numpy) and cyclic_period when cyclic='boltz'; other keys are ignored.
    weight: float32 [c_z, F], F = 4 r_max + 2 s_max + 7 (a Protenix linear_no_bias.weight).
    model: a preset name (protenix, pxdesign, af3, openfold3, boltz1, boltz2) fixing
    variant, cyclic, r_max, s_max and c_z; otherwise r_max=32, s_max=2, variant='af3',
    cyclic='none', precision='fp32' unless given. precision: 'fp32', 'bf16' (the fp32 sum
    rounded once) or 'bf16-autocast' (W rounded to bf16 first, as torch.autocast does).
    Returns torch for torch inputs (bfloat16 in the bf16 regimes) and numpy float32 otherwise;
    with out, writes into it (accumulate=True: out += pair, out float32) and returns out.
    Runs relpos's cpu backend (cuda for CUDA tensors where built) with no N x N temporaries.
    """
    where = "relpos.lookup"
    config, ids, periods, weight_np, shape = _problem(
        where, feats, weight, dict(model=model, r_max=r_max, s_max=s_max, variant=variant, cyclic=cyclic,
                                   precision=precision))
    if not isinstance(accumulate, bool):
        raise TypeError(f"{where}: accumulate must be a bool, not {type(accumulate).__name__}")
    pair_shape = tuple(shape) + (shape[-1], config.c_z)
    device = _in.device_of(where, "weight", weight) if out is None else _in.device_of(where, "out", out)
    if out is None:
        if accumulate:
            raise ValueError(f"{where}: accumulate=True needs out (the tensor to add into)")
        as_torch = _in.is_torch(weight) or any(_in.is_torch(feats[name]) for name in FIELDS)
        out = _new_output(as_torch, pair_shape, config.precision, device)
    dtypes = ("float32",) if accumulate or config.precision == "fp32" else ("float32", "bfloat16")
    dtype = _check_out(where, out, pair_shape, dtypes)
    stream = 0
    if device == "cuda":
        import torch
        stream = torch.cuda.current_stream(out.device).cuda_stream
    memory = _memory(out, pair_shape)
    try:
        _relpos.lookup(ids, periods, weight_np, config.as_tuple(), memory, dtype, accumulate, device == "cuda",
                       stream, _threads(where, threads))
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    return out


def weight_gradient(feats, weight, grad_output, *, model=None, r_max=None, s_max=None, variant=None, cyclic=None,
                    threads=None):
    """dW [c_z, F] = d sum(pair * grad_output) / d weight, in fp32 (SPEC.md part 2: the backward is fp32).

    grad_output: the pair tensor's shape, float32 (bfloat16 is widened first); torch in, torch out.
    Runs relpos's cpu backward: one pass over grad_output, deterministic for any thread count.
    """
    where = "relpos.weight_gradient"
    config, ids, periods, weight_np, shape = _problem(
        where, feats, weight, dict(model=model, r_max=r_max, s_max=s_max, variant=variant, cyclic=cyclic,
                                   precision=None))
    pair_shape = tuple(shape) + (shape[-1], config.c_z)
    as_torch = _in.is_torch(grad_output)
    if as_torch:
        import torch
        if grad_output.dtype not in (torch.float32, torch.bfloat16):
            raise TypeError(f"{where}: grad_output must be float32 or bfloat16, not {grad_output.dtype}")
        device = _in.device_of(where, "grad_output", grad_output)
        grad = grad_output.detach().to("cpu", torch.float32).contiguous()
    elif isinstance(grad_output, np.ndarray):
        if grad_output.dtype != np.float32:
            raise TypeError(f"{where}: grad_output must be float32, not {grad_output.dtype}")
        device, grad = "cpu", np.ascontiguousarray(grad_output)
    else:
        raise TypeError(f"{where}: grad_output must be a torch tensor or a numpy array, "
                        f"not {type(grad_output).__name__}")
    if list(grad.shape) != list(pair_shape):
        raise ValueError(f"{where}: grad_output has shape {list(grad.shape)} but the pair tensor is "
                         f"{list(pair_shape)}")
    dw = np.empty((config.c_z, config.feature_width), dtype=np.float32)
    memory = _memory(grad, pair_shape)
    try:
        _relpos.weight_gradient(ids, periods, weight_np, config.as_tuple(), memory, dw.ctypes.data,
                                _threads(where, threads))
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    if as_torch:
        import torch
        return torch.from_numpy(dw).to(device)
    return dw


def __getattr__(name):
    # relpos.torch imports torch; `import relpos` alone does not (numpy users pay nothing).
    if name == "torch":
        import importlib
        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module 'relpos' has no attribute {name!r}")
