"""Turning a user's feature dict, weight and settings into what relpos._relpos takes.

Every check names the function and the argument; a wrong type is a TypeError, a
wrong value or shape a ValueError. torch is imported only when a tensor is seen.
"""
import sys
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from . import _relpos

FIELDS = ("asym_id", "residue_index", "entity_id", "sym_id", "token_index")
VARIANTS = ("af3", "paper")
CYCLIC = ("none", "boltz")
PRECISIONS = ("fp32", "bf16", "bf16-autocast")
AF3_DEFAULTS = {"r_max": 32, "s_max": 2, "variant": "af3", "cyclic": "none", "precision": "fp32"}
INT64_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Config:
    """The axes a model fixes (SPEC.md): chain term, cyclic offsets, precision regime, r_max, s_max, c_z."""

    r_max: int = 32
    s_max: int = 2
    c_z: int = 128
    variant: str = "af3"
    cyclic: str = "none"
    precision: str = "fp32"

    @property
    def feature_width(self):
        """F = 4 r_max + 2 s_max + 7: the one-hot width, the weight's second dimension."""
        return 4 * self.r_max + 2 * self.s_max + 7

    def as_tuple(self):
        return (self.r_max, self.s_max, self.c_z, self.variant, self.cyclic, self.precision)


def feature_width(r_max=32, s_max=2):
    """F = 4 r_max + 2 s_max + 7."""
    return _relpos.feature_width(r_max, s_max)


def presets():
    """{name: preset dict} of SPEC.md part 2's model presets."""
    return {row["name"]: row for row in _relpos.presets()}


def is_torch(value):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _choice(where, name, value, known):
    if not isinstance(value, str):
        raise TypeError(f"{where}: {name} must be a string, not {type(value).__name__}")
    if value not in known:
        raise ValueError(f"{where}: {name} must be one of {', '.join(map(repr, known))}, not {value!r}")
    return value


def _integer(where, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an int, not {type(value).__name__}")
    return int(value)


def find_preset(where, model):
    if not isinstance(model, str):
        raise TypeError(f"{where}: model must be a string, not {type(model).__name__}")
    known = presets()
    if model not in known:
        raise ValueError(f"{where}: unknown model {model!r} (known: {', '.join(known)})")
    return known[model]


def resolve_config(where, *, c_z, model=None, r_max=None, s_max=None, variant=None, cyclic=None, precision=None):
    """One Config from a model preset and/or explicit axes; an explicit axis that contradicts the model is an error."""
    stated = {"r_max": r_max, "s_max": s_max, "variant": variant, "cyclic": cyclic, "precision": precision}
    values = dict(AF3_DEFAULTS)
    if model is not None:
        preset = find_preset(where, model)
        values.update({key: preset[key] for key in ("r_max", "s_max", "variant", "cyclic")})
        values["precision"] = preset["precisions"][0]
        for key in ("r_max", "s_max", "variant", "cyclic"):
            if stated[key] is not None and stated[key] != preset[key]:
                raise ValueError(f"{where}: model={model!r} fixes {key}={preset[key]!r}; got {key}={stated[key]!r}")
        if precision is not None and precision not in preset["precisions"]:
            raise ValueError(f"{where}: model={model!r} runs precision {' or '.join(map(repr, preset['precisions']))}; "
                             f"got precision={precision!r}")
        if c_z != preset["c_z"]:
            raise ValueError(f"{where}: model={model!r} has c_z={preset['c_z']}; got c_z={c_z}")
    values.update({key: value for key, value in stated.items() if value is not None})
    return Config(r_max=_integer(where, "r_max", values["r_max"]), s_max=_integer(where, "s_max", values["s_max"]),
                  c_z=_integer(where, "c_z", c_z), variant=_choice(where, "variant", values["variant"], VARIANTS),
                  cyclic=_choice(where, "cyclic", values["cyclic"], CYCLIC),
                  precision=_choice(where, "precision", values["precision"], PRECISIONS))


def id_array(where, name, value):
    """An id array (any integer dtype, [N] or [B, N], torch or numpy) as contiguous int64 numpy."""
    if is_torch(value):
        if value.dtype.is_floating_point or value.dtype.is_complex or value.dtype == sys.modules["torch"].bool:
            raise TypeError(f"{where}: feats[{name!r}] must hold integers, not {value.dtype}")
        device_of(where, f"feats[{name!r}]", value)
        value = value.detach().to("cpu").numpy()
    elif not isinstance(value, np.ndarray):
        raise TypeError(f"{where}: feats[{name!r}] must be a torch tensor or a numpy array, not {type(value).__name__}")
    if value.dtype.kind not in "iu":
        raise TypeError(f"{where}: feats[{name!r}] must hold integers, not {value.dtype}")
    if value.ndim not in (1, 2):
        raise ValueError(f"{where}: feats[{name!r}] must be [N] or [B, N], not shape {list(value.shape)}")
    if value.dtype == np.uint64 and value.size and int(value.max()) > INT64_MAX:
        raise ValueError(f"{where}: feats[{name!r}] holds {int(value.max())}, beyond int64")
    return np.ascontiguousarray(value, dtype=np.int64)


def layout_arrays(where, feats, cyclic):
    """(ids dict, periods or None, shape of one id array) from a feature dict; other keys are ignored."""
    if not isinstance(feats, Mapping):
        raise TypeError(f"{where}: feats must be a dict of id tensors, not {type(feats).__name__}")
    missing = [name for name in FIELDS if name not in feats]
    if missing:
        raise ValueError(f"{where}: feats is missing {', '.join(map(repr, missing))}")
    ids = {name: id_array(where, name, feats[name]) for name in FIELDS}
    shape = ids["asym_id"].shape
    for name in FIELDS[1:]:
        if ids[name].shape != shape:
            raise ValueError(f"{where}: feats[{name!r}] has shape {list(ids[name].shape)} but "
                             f"feats['asym_id'] has {list(shape)}")
    periods = None
    if cyclic == "boltz":
        if "cyclic_period" not in feats:
            raise ValueError(f"{where}: cyclic='boltz' needs feats['cyclic_period'] (0 for tokens of non-cyclic chains)")
        periods = id_array(where, "cyclic_period", feats["cyclic_period"])
        if periods.shape != shape:
            raise ValueError(f"{where}: feats['cyclic_period'] has shape {list(periods.shape)} but the ids have "
                             f"{list(shape)}")
        if periods.size and periods.min() < 0:
            raise ValueError(f"{where}: feats['cyclic_period'] holds {int(periods.min())}; periods are >= 0")
    return ids, periods, shape


def device_of(where, name, value):
    """'cpu' or 'cuda' (numpy arrays are 'cpu'); any other device is a ValueError."""
    if not is_torch(value):
        return "cpu"
    kind = value.device.type
    if kind not in ("cpu", "cuda"):
        raise ValueError(f"{where}: {name} is on {value.device}; relpos runs on cpu and cuda tensors")
    if kind == "cuda" and not _relpos.cuda_built:
        raise ValueError(f"{where}: {name} is on {value.device} but this relpos was built without CUDA "
                         "(no nvcc at configure time)")
    return kind


def weight_array(where, weight, config):
    """The weight [c_z, F] as contiguous float32 numpy (a copy from a device tensor)."""
    if is_torch(weight):
        if weight.dtype != sys.modules["torch"].float32:
            raise TypeError(f"{where}: weight must be float32 (the fp32 master weight), not {weight.dtype}")
        device_of(where, "weight", weight)
        array = weight.detach().to("cpu").numpy()
    elif isinstance(weight, np.ndarray):
        if weight.dtype != np.float32:
            raise TypeError(f"{where}: weight must be float32, not {weight.dtype}")
        array = weight
    else:
        raise TypeError(f"{where}: weight must be a torch tensor or a numpy array, not {type(weight).__name__}")
    expected = [config.c_z, config.feature_width]
    if list(array.shape) != expected:
        raise ValueError(f"{where}: weight has shape {list(array.shape)} but r_max={config.r_max}, "
                         f"s_max={config.s_max} need [c_z, F] = [{config.c_z}, {config.feature_width}]")
    if not np.isfinite(array).all():
        raise ValueError(f"{where}: weight holds a value that is not finite")
    return np.ascontiguousarray(array)


def weight_channels(where, weight):
    """c_z: the weight's first dimension (checked in full by weight_array)."""
    shape = getattr(weight, "shape", None)
    if shape is None or not (is_torch(weight) or isinstance(weight, np.ndarray)):
        raise TypeError(f"{where}: weight must be a torch tensor or a numpy array, not {type(weight).__name__}")
    if len(shape) != 2:
        raise ValueError(f"{where}: weight must be [c_z, F], not shape {list(shape)}")
    return int(shape[0])
