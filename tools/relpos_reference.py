"""An independent PyTorch implementation of AF3's relative position encoding
(Algorithm 3) as SPEC.md defines it, parts 1 and 2: the bins, the Boltz cyclic
wrap, the original one-hot + F.linear path, the ordered lookup path, the three
precision regimes and the weight gradient.

It is written the way Protenix and Boltz write it (whole-tensor PyTorch ops,
no loops over pairs), so it is a second opinion on relpos's C++ reference, not
a transcription of it. tools/torch_candidate.py and tools/export_fixture.py
import it; tests/cli/torch_reference_selftest.py checks it against the SPEC.

It also carries named mutants: deliberate bugs of the kind real
implementations have, so that tests can show relpos catches each one.
"""
import torch
import torch.nn.functional as F

FIELDS = ("asym_id", "residue_index", "entity_id", "sym_id", "token_index")
VARIANTS = ("af3", "paper")
CYCLIC_MODES = ("none", "boltz")
PRECISIONS = ("fp32", "bf16", "bf16-autocast")
FORMS = ("onehot", "lookup")
NON_CYCLIC_PERIOD = 10000  # Boltz's period for tokens with cyclic_period 0, once any token is cyclic

_PRESET = {"r_max": 32, "s_max": 2, "c_z": 128}
MODELS = {  # SPEC part 2, "Model presets"; precisions: the regimes each runs, the usual one first
    "protenix": dict(_PRESET, variant="af3", cyclic="none", precisions=("fp32", "bf16-autocast")),
    "pxdesign": dict(_PRESET, variant="af3", cyclic="none", precisions=("fp32", "bf16-autocast")),
    "af3": dict(_PRESET, variant="af3", cyclic="none", precisions=("bf16-autocast",)),
    "openfold3": dict(_PRESET, variant="af3", cyclic="none", precisions=("fp32", "bf16-autocast")),
    "boltz1": dict(_PRESET, variant="paper", cyclic="boltz", precisions=("fp32", "bf16-autocast")),
    "boltz2": dict(_PRESET, variant="af3", cyclic="boltz", precisions=("bf16-autocast",)),
}

# name -> (where the bug lives, what it does). Kinds: "bins" and "output" and
# "gradient" work with both forms; "lookup" bugs are in the lookup arithmetic.
MUTANTS = {
    "column-minus-row": ("bins", "every offset is column minus row (torch_candidate.py --broken)"),
    "row-period": ("bins", "the cyclic period is the ROW token i's instead of the column token j's"),
    "half-away": ("bins", "the cyclic quotient rounds half away from zero instead of half to even"),
    "no-fallback": ("bins", "non-cyclic tokens get no 10000 fallback period: their offsets never wrap"),
    "exact-wrap": ("bins", "the cyclic wrap in exact int64 arithmetic instead of Boltz's float32"),
    "wrap-after-clip": ("bins", "the cyclic wrap applied to the clipped offset instead of before the clip"),
    "paper-chain": ("bins", "the paper chain term (NOT same_chain) whatever the variant says"),
    "autocast-no-round": ("lookup", "bf16-autocast without rounding W to bf16 first (computes plain bf16)"),
    "bf16-rounds-weights": ("lookup", "plain bf16 rounds W to bf16 first (computes bf16-autocast)"),
    "bf16-terms": ("lookup", "in both bf16 regimes the four terms are added in bf16 (every partial sum rounded)"),
    "repeat-row-64": ("output", "when N > 64, every row i >= 64 is a copy of row 64"),
    "repeat-tile-row": ("output", "when N > 256, rows 256..511 (the second 256-token tile) copy row 256"),
    "copy-last-column": ("output", "when N > 64 and N % 8 != 0, column N-1 copies column N-2 (a dropped vector tail)"),
    "grad-drop-entity": ("gradient", "the same-entity column's weight gradient is zero"),
    "grad-mirror-chain": ("gradient", "chain column 4r+5+k gets the gradient of column 4r+5+(2s+1-k)"),
    "grad-skip-last-pair": ("gradient", "G of the last pair (N-1, N-1) of each batch element is ignored"),
}


def feature_width(r_max, s_max):
    """F = 4 r_max + 2 s_max + 7, the one-hot width and W's column count."""
    return 4 * r_max + 2 * s_max + 7


def _is_integer(tensor):
    return not (tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool)


def check_arguments(ids, weight, r_max, s_max, variant, cyclic, cyclic_period, precision, form, mutant):
    """Raise ValueError (one line) for anything forward() cannot compute as the SPEC defines it."""
    for name, value, allowed in (("variant", variant, VARIANTS), ("cyclic", cyclic, CYCLIC_MODES),
                                 ("precision", precision, PRECISIONS), ("form", form, FORMS)):
        if value not in allowed:
            raise ValueError(f"{name} '{value}' is not one of {', '.join(allowed)}")
    if mutant is not None and mutant not in MUTANTS:
        raise ValueError(f"unknown mutant '{mutant}' (known: {', '.join(MUTANTS)})")
    if mutant is not None and MUTANTS[mutant][0] == "lookup" and form != "lookup":
        raise ValueError(f"mutant '{mutant}' lives in the lookup arithmetic and needs form 'lookup'")
    if r_max < 0 or s_max < 0:
        raise ValueError(f"r_max and s_max must be >= 0 (got {r_max}, {s_max})")
    missing = [field for field in FIELDS if field not in ids]
    if missing:
        raise ValueError(f"missing id arrays: {', '.join(missing)}")
    shapes = {tuple(ids[field].shape) for field in FIELDS}
    shape = next(iter(shapes))
    if len(shapes) != 1 or len(shape) not in (1, 2):
        raise ValueError(f"the id arrays must share one shape [N] or [B, N]; found {sorted(shapes)}")
    for field in FIELDS:
        if not _is_integer(ids[field]):
            raise ValueError(f"{field} has dtype {ids[field].dtype}; ids are integers")
    if weight.dtype != torch.float32 or weight.dim() != 2 or weight.shape[1] != feature_width(r_max, s_max):
        raise ValueError(f"weight must be float32 [c_z, {feature_width(r_max, s_max)}] for r_max {r_max}, "
                         f"s_max {s_max}; got {weight.dtype} {list(weight.shape)}")
    if cyclic == "boltz":
        if cyclic_period is None or tuple(cyclic_period.shape) != shape or not _is_integer(cyclic_period):
            found = "none" if cyclic_period is None else f"{cyclic_period.dtype} {list(cyclic_period.shape)}"
            raise ValueError(f"cyclic 'boltz' needs an integer cyclic_period of the ids' shape {list(shape)}; "
                             f"got {found}")
    elif cyclic_period is not None:
        raise ValueError("a cyclic_period was given but cyclic is 'none'")


def round_half_even_quotient(numerator, denominator):
    """round_half_even(numerator / denominator) in exact int64 arithmetic (denominator > 0).

    Only the exact-wrap mutant uses it: it is what a careful integer port of
    Boltz's wrap computes, and it differs from Boltz once |o| > 2^24."""
    floor = torch.div(numerator, denominator, rounding_mode="floor")
    twice_remainder = 2 * (numerator - floor * denominator)
    round_up = (twice_remainder > denominator) | ((twice_remainder == denominator) & (floor % 2 == 1))
    return floor + round_up.long()


def boltz_wrap(rel_pos, cyclic_period, mutant=None):
    """Boltz-1/2's cyclic wrap of the residue offsets rel_pos [..., N, N] (SPEC part 2).

    Exactly Boltz's tensor ops: when any token of the WHOLE input is cyclic,
    every offset is wrapped by the COLUMN token's period (10000 for
    non-cyclic tokens) in float32: int64 / int64 true division gives float32,
    torch.round is half to even, the product and difference are float32 and
    .long() truncates toward zero."""
    if not torch.any(cyclic_period > 0):
        return rel_pos
    cyclic_token = cyclic_period > 0
    period = torch.where(cyclic_token, cyclic_period, torch.zeros_like(cyclic_period) + NON_CYCLIC_PERIOD)
    period = period.unsqueeze(-1 if mutant == "row-period" else -2)
    if mutant == "exact-wrap":
        return rel_pos - period * round_half_even_quotient(rel_pos, period)
    quotient = rel_pos / period
    if quotient.dtype != torch.float32:
        raise RuntimeError(f"Boltz's wrap divides in float32, but torch's default dtype is {quotient.dtype}")
    if mutant == "half-away":
        rounded = torch.sign(quotient) * torch.floor(torch.abs(quotient) + 0.5)
    else:
        rounded = torch.round(quotient)
    wrapped = (rel_pos - period * rounded).long()
    if mutant == "no-fallback":
        return torch.where(cyclic_token.unsqueeze(-2), wrapped, rel_pos)
    return wrapped


def bins(ids, r_max, s_max, variant="af3", cyclic="none", cyclic_period=None, mutant=None):
    """(d_res, d_tok, d_chain, same_entity), int64 [..., N, N]: SPEC part 1 "Bins" for every
    ordered pair (i, j), offsets row minus column, with part 2's Boltz wrap of d_res.

    clip(o + r, 0, 2r) is computed as clip(o, -r, r) + r: the same bins, and no
    int64 overflow for offsets near the int64 limits."""
    ids = {field: ids[field].long() for field in FIELDS}

    def offset(field):
        values = ids[field]
        if mutant == "column-minus-row":
            return values[..., None, :] - values[..., :, None]
        return values[..., :, None] - values[..., None, :]

    def same(field):
        return ids[field][..., :, None] == ids[field][..., None, :]

    same_chain, same_residue, same_entity = same("asym_id"), same("residue_index"), same("entity_id")
    residue_offset = offset("residue_index")
    if cyclic == "boltz":
        period = cyclic_period.long()
        if mutant == "wrap-after-clip":
            residue_offset = boltz_wrap(torch.clamp(residue_offset, -r_max, r_max), period, mutant)
        else:
            residue_offset = boltz_wrap(residue_offset, period, mutant)
    d_res = torch.where(same_chain, torch.clamp(residue_offset, -r_max, r_max) + r_max,
                        torch.full_like(residue_offset, 2 * r_max + 1))
    token_offset = offset("token_index")
    d_tok = torch.where(same_chain & same_residue, torch.clamp(token_offset, -r_max, r_max) + r_max,
                        torch.full_like(token_offset, 2 * r_max + 1))
    chain_term = ~same_chain if variant == "paper" or mutant == "paper-chain" else same_entity
    sym_offset = offset("sym_id")
    d_chain = torch.where(chain_term, torch.clamp(sym_offset, -s_max, s_max) + s_max,
                          torch.full_like(sym_offset, 2 * s_max + 1))
    return d_res, d_tok, d_chain, same_entity.long()


def onehot_features(bin_tensors, r_max, s_max):
    """x [..., N, N, F] float32, SPEC part 1 "The original path": one-hot d_res, one-hot d_tok,
    the same-entity column and one-hot d_chain, concatenated as Protenix does."""
    d_res, d_tok, d_chain, same_entity = bin_tensors
    return torch.cat([F.one_hot(d_res, 2 * r_max + 2), F.one_hot(d_tok, 2 * r_max + 2), same_entity[..., None],
                      F.one_hot(d_chain, 2 * s_max + 2)], dim=-1).float()


def onehot_product(bin_tensors, weight, r_max, s_max, precision):
    """p = F.linear(x, W) in PyTorch's own GEMM order; bf16-autocast runs it under CPU autocast
    (W cast to bf16, bf16 GEMM accumulating in fp32, bf16 result)."""
    features = onehot_features(bin_tensors, r_max, s_max)
    if precision == "bf16-autocast":
        with torch.autocast("cpu", dtype=torch.bfloat16):
            output = F.linear(features, weight)
        return output.float()
    output = F.linear(features, weight)
    return output if precision == "fp32" else output.bfloat16().float()


def lookup_sum(bin_tensors, weight, r_max, precision, mutant=None):
    """p = ((t1 + t2) + t3) + t4 with the four gathered weight columns (SPEC part 2 "Precision
    regimes"), differentiable w.r.t. W. bf16-autocast first rounds W to bf16; both bf16 regimes
    round the fp32 sum to bf16 once."""
    d_res, d_tok, d_chain, same_entity = bin_tensors
    if precision == "bf16-autocast":
        rounds_weights = mutant != "autocast-no-round"
    else:
        rounds_weights = precision == "bf16" and mutant == "bf16-rounds-weights"
    if rounds_weights:
        weight = weight.bfloat16().float()
    columns = weight.t()  # row f is W[:, f]
    entity_column = columns[4 * r_max + 4]
    terms = (columns[d_res], columns[2 * r_max + 2 + d_tok],
             torch.where(same_entity.bool()[..., None], entity_column, torch.zeros_like(entity_column)),
             columns[4 * r_max + 5 + d_chain])
    if precision != "fp32" and mutant == "bf16-terms":
        terms = tuple(term.bfloat16() for term in terms)
    total = ((terms[0] + terms[1]) + terms[2]) + terms[3]
    return total if precision == "fp32" else total.bfloat16().float()


class _MapGradient(torch.autograd.Function):
    """Identity in the forward pass; `transform` rewrites the incoming gradient (gradient mutants)."""

    @staticmethod
    def forward(ctx, tensor, transform):
        ctx.transform = transform
        return tensor.view_as(tensor)

    @staticmethod
    def backward(ctx, grad):
        return ctx.transform(grad), None


def _zero_column(grad, column):
    grad = grad.clone()
    grad[:, column] = 0
    return grad


def _zero_last_pair(grad):
    grad = grad.clone()
    grad[..., -1, -1, :] = 0
    return grad


def weight_for_gradient_mutant(weight, r_max, mutant):
    """W itself, but with the weight-gradient bug of `mutant` attached to it in autograd."""
    chain_start = 4 * r_max + 5
    if mutant == "grad-drop-entity":
        return _MapGradient.apply(weight, lambda grad: _zero_column(grad, 4 * r_max + 4))
    if mutant == "grad-mirror-chain":
        return _MapGradient.apply(
            weight, lambda grad: torch.cat([grad[:, :chain_start], grad[:, chain_start:].flip(-1)], dim=1))
    return weight


def _repeat_rows(output, first, stop):
    """Rows first..stop-1 (clipped to N) replaced by copies of row `first`."""
    stop = min(stop, output.shape[-3])
    copies = output[..., first:first + 1, :, :].expand(*output.shape[:-3], stop - first, *output.shape[-2:])
    return torch.cat([output[..., :first, :, :], copies, output[..., stop:, :, :]], dim=-3)


def output_with_mutant(output, mutant):
    """The layout bugs of the "output" mutants and grad-skip-last-pair; the output unchanged otherwise."""
    n = output.shape[-2]
    if mutant == "repeat-row-64" and n > 64:
        return _repeat_rows(output, 64, n)
    if mutant == "repeat-tile-row" and n > 256:
        return _repeat_rows(output, 256, 512)
    if mutant == "copy-last-column" and n > 64 and n % 8 != 0:
        return torch.cat([output[..., :-1, :], output[..., -2:-1, :]], dim=-2)
    if mutant == "grad-skip-last-pair" and n > 0:
        return _MapGradient.apply(output, _zero_last_pair)
    return output


def forward(ids, weight, r_max, s_max, variant="af3", cyclic="none", cyclic_period=None,
            precision="fp32", form="onehot", mutant=None):
    """The pair tensor p, float32 [..., N, N, c_z] (bf16 regimes: bf16 values as float32).

    ids: dict of integer tensors [N] or [B, N] (FIELDS); weight: float32 [c_z, F]; cyclic_period:
    integer tensor of the ids' shape iff cyclic == "boltz". form "onehot" is the original path
    (F.linear), "lookup" the ordered four-term sum; mutant: a name from MUTANTS or None."""
    check_arguments(ids, weight, r_max, s_max, variant, cyclic, cyclic_period, precision, form, mutant)
    weight = weight_for_gradient_mutant(weight, r_max, mutant)
    bin_tensors = bins(ids, r_max, s_max, variant, cyclic, cyclic_period, mutant)
    if form == "onehot":
        output = onehot_product(bin_tensors, weight, r_max, s_max, precision)
    else:
        output = lookup_sum(bin_tensors, weight, r_max, precision, mutant)
    return output_with_mutant(output, mutant)


def weight_gradient(ids, weight, grad_output, r_max, s_max, variant="af3", cyclic="none", cyclic_period=None,
                    form="onehot", mutant=None):
    """dW float32 [c_z, F]: the gradient of sum(p * G) w.r.t. W by autograd of the fp32
    forward() (SPEC part 2 "Backward": the backward is fp32 only). G = grad_output."""
    leaf = weight.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        output = forward(ids, leaf, r_max, s_max, variant, cyclic, cyclic_period, "fp32", form, mutant)
        if grad_output.dtype != torch.float32 or grad_output.shape != output.shape:
            raise ValueError(f"grad_output must be float32 {list(output.shape)}; "
                             f"got {grad_output.dtype} {list(grad_output.shape)}")
        (grad,) = torch.autograd.grad(output, leaf, grad_outputs=grad_output)
    return grad
