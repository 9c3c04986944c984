"""relpos.torch: the proven lookup as a PyTorch module, forward and backward.

    from relpos.torch import RelativePositionEncoding
    relpe = RelativePositionEncoding(c_z=128, model="protenix")
    relpe.load_state_dict({"linear_no_bias.weight": w})   # a Protenix / PXDesign state dict loads unchanged
    z = relpe(feats)                                      # [..., N, N, c_z], no one-hot temporaries
    z.sum().backward()                                    # dW by relpos's cpu backward, not autograd of a gather
"""
import torch
from torch import nn

from . import _inputs as _in
from . import lookup, weight_gradient


def _autocast_bf16(device_type):
    """True inside torch.autocast(dtype=torch.bfloat16) for this device type."""
    if device_type == "cuda":
        return torch.is_autocast_enabled() and torch.get_autocast_gpu_dtype() == torch.bfloat16
    return torch.is_autocast_cpu_enabled() and torch.get_autocast_cpu_dtype() == torch.bfloat16


class _Lookup(torch.autograd.Function):
    """The pair tensor from relpos.lookup; its weight gradient from relpos.weight_gradient (fp32)."""

    @staticmethod
    def forward(ctx, weight, feats, settings):
        ctx.feats, ctx.settings = feats, settings
        ctx.save_for_backward(weight)
        return lookup(feats, weight, **settings)

    @staticmethod
    def backward(ctx, grad_output):
        (weight,) = ctx.saved_tensors
        settings = {key: value for key, value in ctx.settings.items() if key != "precision"}
        grad_weight = weight_gradient(ctx.feats, weight, grad_output, **settings)
        return grad_weight, None, None


class RelativePositionEncoding(nn.Module):
    """AF3's relative position encoding (Algorithm 3) whose forward is relpos's lookup.

    Parameter: linear_no_bias.weight [c_z, F], F = 4 r_max + 2 s_max + 7 (Protenix's name
    and layout). model: a preset (protenix, pxdesign, af3, openfold3, boltz1, boltz2) that
    fixes variant, cyclic, r_max, s_max and c_z. precision=None follows the caller: the
    bf16-autocast regime inside torch.autocast(dtype=torch.bfloat16), fp32 otherwise.
    forward(feats) takes the model's feature dict (asym_id, residue_index, entity_id,
    sym_id, token_index, and cyclic_period for cyclic='boltz') and returns the pair tensor.
    The backward is fp32 (SPEC.md part 2): a bfloat16 grad_output is widened first.
    """

    def __init__(self, c_z=128, r_max=None, s_max=None, model=None, variant=None, cyclic=None, precision=None,
                 threads=None):
        super().__init__()
        where = "relpos.torch.RelativePositionEncoding"
        config = _in.resolve_config(where, c_z=c_z, model=model, r_max=r_max, s_max=s_max, variant=variant,
                                    cyclic=cyclic, precision=precision)
        self.config = config
        self.model = model
        self.precision = precision
        self.threads = threads
        self.linear_no_bias = nn.Linear(config.feature_width, config.c_z, bias=False)

    def extra_repr(self):
        c = self.config
        return (f"c_z={c.c_z}, r_max={c.r_max}, s_max={c.s_max}, variant={c.variant}, cyclic={c.cyclic}, "
                f"precision={self.precision or 'follows autocast'}" + (f", model={self.model}" if self.model else ""))

    def forward(self, feats):
        weight = self.linear_no_bias.weight
        precision = self.precision
        if precision is None:
            precision = "bf16-autocast" if _autocast_bf16(weight.device.type) else "fp32"
        c = self.config
        settings = dict(r_max=c.r_max, s_max=c.s_max, variant=c.variant, cyclic=c.cyclic, precision=precision,
                        threads=self.threads)
        return _Lookup.apply(weight, feats, settings)


def module_fn(module, parameter="linear_no_bias.weight", batched=False):
    """fn(feats, weight) for relpos.prove: `module` run with `parameter` replaced by the harness's weight.

    Works for any relative position module with a feature-dict forward: Protenix's
    RelativePositionEncoding (the default parameter name), Boltz's RelativePositionEncoder
    (parameter="linear_layer.weight", batched=True: it indexes [B, N] ids, so unbatched
    cases get a batch of one and the answer loses it again).
    """
    from torch.nn.utils import stateless

    def fn(feats, weight):
        lift = batched and feats["asym_id"].dim() == 1
        if lift:
            feats = {name: value[None] for name, value in feats.items()}
        output = stateless.functional_call(module, {parameter: weight}, (feats,))
        return output[0] if lift else output

    fn.__qualname__ = type(module).__name__
    return fn
