"""relpos.prove / relpos.assert_equivalent: relpos's C++ property harness on a PyTorch function.

The harness generates each case (layout, weights, config), calls fn in this
process, compares with the sequential reference, shrinks a failure to a
minimal counterexample and reports coverage; nothing of that is re-done here.
This file only adapts fn: numpy ids -> torch int64 tensors, the pair tensor ->
float32 values, autograd for the gradient cases.
"""
import contextlib
import inspect
from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import _inputs as _in
from . import _relpos


class EquivalenceError(AssertionError):
    """fn is not equivalent to the reference: the message leads with the shrunk counterexample."""

    def __init__(self, report):
        self.report = report
        failures = report.failures
        # The report's text repeats the failures after its header line: show them once, first.
        rest = report.text.replace(failures, "", 1) if failures else report.text
        super().__init__(f"{failures}\n{rest}" if failures else rest)


@dataclass(frozen=True)
class Counterexample:
    """The shrunk failing case: enough to call fn on it again (fn(feats, weight[, config]))."""

    property: str
    tokens: int
    shrink_steps: int
    text: str
    feats: dict
    weight: np.ndarray
    config: _in.Config

    def __str__(self):
        return self.text


class Report:
    """What a run found: .passed, .cases, .text, .counterexample (None when it passed)."""

    def __init__(self, native):
        self._native = native

    passed = property(lambda self: self._native.passed)
    cases = property(lambda self: self._native.cases)
    seconds = property(lambda self: self._native.seconds)
    text = property(lambda self: self._native.text)
    failures = property(lambda self: self._native.failures)
    seed = property(lambda self: self._native.seed)
    policy = property(lambda self: self._native.policy)
    scope = property(lambda self: self._native.scope)
    results = property(lambda self: self._native.results, doc="per property: property, status, cases, seconds")

    @property
    def cases_per_second(self):
        return self.cases / self.seconds if self.seconds > 0 else 0.0

    @property
    def counterexample(self) -> Optional[Counterexample]:
        found = self._native.counterexample
        if found is None:
            return None
        return Counterexample(property=found["property"], tokens=found["tokens"], shrink_steps=found["shrink_steps"],
                              text=found["text"], feats=found["feats"], weight=found["weight"],
                              config=_in.Config(*found["config"]))

    def to_json(self):
        """The report as `relpos prove --json` writes it (a string)."""
        return self._native.to_json()

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self.text

    def __repr__(self):
        return f"<relpos.Report {'PASS' if self.passed else 'FAIL'}: {self.cases} cases, scope {self.scope}>"


def _accepts_config(fn):
    """fn(feats, weight, config) or fn(feats, weight, config=...): it can be told the config."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return (len(positional) >= 3 or any(p.kind == p.VAR_POSITIONAL for p in parameters)
            or any(p.name == "config" for p in parameters))


def _axis(where, name, value, known):
    """None, or a list of names from a string or a sequence of strings."""
    if value is None:
        return None
    values = [value] if isinstance(value, str) else list(value)
    if not values:
        raise ValueError(f"{where}: {name} is empty")
    for item in values:
        _in._choice(where, name, item, known)
    return values


def _scope(where, takes_config, model, axes, numbers):
    """The scope settings: the model's, narrowed by explicit axes; a two-argument fn gets AF3's defaults."""
    if model is not None:
        preset = _in.find_preset(where, model)
        fixed = {"variants": [preset["variant"]], "cyclic": [preset["cyclic"]], "precisions": preset["precisions"]}
        for key, values in axes.items():
            outside = [v for v in values or [] if v not in fixed[key]]
            if outside:
                raise ValueError(f"{where}: model={model!r} runs {key} {', '.join(map(repr, fixed[key]))}; "
                                 f"got {', '.join(map(repr, outside))}")
        for key, value in numbers.items():
            if value is not None and value != preset[key]:
                raise ValueError(f"{where}: model={model!r} fixes {key}={preset[key]}; got {key}={value}")
    elif not takes_config:
        # fn(feats, weight) cannot be told r_max, s_max or the variant: prove what AF3 runs unless told otherwise.
        defaults = {"variants": ["af3"], "cyclic": ["none"], "precisions": ["fp32"]}
        axes = {key: axes[key] if axes[key] is not None else defaults[key] for key in axes}
        numbers = {key: numbers[key] if numbers[key] is not None or key == "c_z" else _in.AF3_DEFAULTS[key]
                   for key in numbers}
    precisions = axes["precisions"] or (preset["precisions"] if model is not None else None)
    if not takes_config and precisions is not None and "bf16" in precisions:
        raise ValueError(f"{where}: fn(feats, weight) cannot be told to round its fp32 sum to bf16; drop precision "
                         "'bf16' or let fn take a third argument, config")
    if not takes_config and precisions is None:
        raise ValueError(f"{where}: fn(feats, weight) cannot be told the precision regime; state precision=")
    return dict(model=model, **axes, **numbers)


@contextlib.contextmanager
def _regime(precision):
    """bf16-autocast cases run under torch.autocast, as the model runs them; the others as they are."""
    import torch
    if precision == "bf16-autocast":
        with torch.autocast("cpu", dtype=torch.bfloat16):
            yield
    else:
        yield


def _values(output, what="the pair tensor"):
    """fn's answer as float32 numpy (bf16 values widen exactly); anything else is a finding."""
    import torch
    if isinstance(output, torch.Tensor):
        if output.dtype not in (torch.float32, torch.bfloat16):
            raise TypeError(f"fn returned {what} as {output.dtype}; it is float32 (bfloat16 in the bf16 regimes)")
        return output.detach().to("cpu", torch.float32).contiguous().numpy()
    if isinstance(output, np.ndarray) and output.dtype == np.float32:
        return output
    raise TypeError(f"fn returned {type(output).__name__} ({getattr(output, 'dtype', '')}); "
                    f"it must return {what} as a float32 or bfloat16 torch tensor")


def _adapters(fn, takes_config, backward):
    """run_case(ids, weight, config) and run_backward(ids, weight, config, grad) for the C++ harness."""
    import torch

    def call(ids, weight, config):
        feats = {name: torch.from_numpy(array) for name, array in ids.items()}
        return fn(feats, weight, config) if takes_config else fn(feats, weight)

    def run_case(ids, weight, config):
        config = _in.Config(*config)
        with torch.no_grad(), _regime(config.precision):
            return _values(call(ids, torch.from_numpy(weight), config))

    def run_backward(ids, weight, config, grad_output):
        config = _in.Config(*config)
        leaf = torch.from_numpy(weight).requires_grad_(True)
        with torch.enable_grad():
            output = call(ids, leaf, config)
        if not isinstance(output, torch.Tensor) or not output.requires_grad:
            raise TypeError("fn's output does not depend on weight through autograd")
        output.backward(torch.from_numpy(grad_output).to(output.dtype))
        if leaf.grad is None:
            raise TypeError("autograd gave weight no gradient")
        return _values(leaf.grad, "the weight gradient")

    return run_case, run_backward if backward else None


def prove(fn, *, model=None, variant=None, cyclic=None, precision=None, r_max=None, s_max=None, c_z=None,
          cases=None, seed=None, backward=False, exact_order=False, properties=None, policy=None, max_size=None,
          name=None):
    """Runs relpos's property suite on fn(feats, weight) -> pair tensor and returns a Report.

    feats: {asym_id, residue_index, entity_id, sym_id, token_index[, cyclic_period]} as torch
    int64 tensors ([N] or [B, N]); weight: torch float32 [c_z, F]. fn(feats, weight, config)
    is also told each case's relpos.Config, and then every stated-or-unstated axis is
    generated; a two-argument fn gets r_max 32, s_max 2, variant af3, cyclic none and
    precision fp32 unless model= or the axis says otherwise. bf16-autocast cases run
    under torch.autocast('cpu', dtype=torch.bfloat16). backward=True also proves the
    weight gradient, by autograd of fn's output. exact_order=True holds fn to bitwise
    equality (an ordered lookup ((t1 + t2) + t3) + t4); otherwise bound:6 / rbound:6.
    cases (per property, default 100), seed, max_size, properties (names), policy: as
    `relpos prove`; RC_PARAMS in the environment overrides them, as in C++ tests.
    """
    where = "relpos.prove"
    if not callable(fn):
        raise TypeError(f"{where}: fn must be callable, not {type(fn).__name__}")
    takes_config = _accepts_config(fn)
    axes = {"variants": _axis(where, "variant", variant, _in.VARIANTS),
            "cyclic": _axis(where, "cyclic", cyclic, _in.CYCLIC),
            "precisions": _axis(where, "precision", precision, _in.PRECISIONS)}
    numbers = {key: None if value is None else _in._integer(where, key, value)
               for key, value in (("r_max", r_max), ("s_max", s_max), ("c_z", c_z))}
    settings = _scope(where, takes_config, model, axes, numbers)
    for key, value in (("cases", cases), ("max_size", max_size)):
        if value is not None and _in._integer(where, key, value) < 1:
            raise ValueError(f"{where}: {key} must be >= 1, not {value}")
    if seed is not None and (_in._integer(where, "seed", seed) < 0 or seed >= 2 ** 64):
        raise ValueError(f"{where}: seed must be in [0, 2^64), not {seed}")
    if properties is not None:
        properties = _axis(where, "properties", properties, tuple(_relpos.properties()))
    label = name or getattr(fn, "__qualname__", None) or type(fn).__name__
    # bf16 writes carry the bf16 regimes; a two-argument fn never gets plain bf16 (_scope refuses it).
    settings.update(name=f"python: {label}", exact_order=bool(exact_order), bf16_writes=True, cases=cases,
                    seed=seed, max_size=max_size, properties=properties, policy=policy, environment=True)
    run_case, run_backward = _adapters(fn, takes_config, backward)
    try:
        report = Report(_relpos.prove(run_case, run_backward, settings))
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    if report.cases == 0:
        reasons = sorted({row["skip_reason"] for row in report.results if row["status"] == "skip"})
        raise ValueError(f"{where}: no property applies within scope {report.scope}, so nothing was proven "
                         f"(skipped: {'; '.join(reasons)})")
    return report


def assert_equivalent(fn, **options):
    """relpos.prove(fn, **options), raising EquivalenceError (an AssertionError) when it fails."""
    report = prove(fn, **options)
    if not report.passed:
        raise EquivalenceError(report)
    return report
