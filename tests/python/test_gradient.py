"""relpos.weight_gradient and relpos.torch.RelativePositionEncoding's backward against PyTorch
autograd of the one-hot original, held to SPEC part 2's any-order bound."""
import pytest
import torch
from conftest import random_complex, reference, spec_forward, trunc_normal_weight

import relpos
from relpos.torch import RelativePositionEncoding

U = 2.0 ** -24


def any_order_bound(feats, weight, grad_output, config):
    """(S, bound) per dW element: the exact sum in float64 and gamma(n - 1) * sum |terms|."""
    ids = {name: feats[name] for name in reference.FIELDS}
    period = feats["cyclic_period"] if config.cyclic == "boltz" else None
    bins = reference.bins(ids, config.r_max, config.s_max, config.variant, config.cyclic, period)
    x = reference.onehot_features(bins, config.r_max, config.s_max).double().reshape(-1, config.feature_width)
    g = grad_output.double().reshape(-1, config.c_z)
    exact = (g.t() @ x)
    magnitude = (g.abs().t() @ x)
    count = x.sum(0).expand_as(exact)
    m = (count - 1).clamp(min=0)
    return exact, m * U / (1 - m * U) * magnitude


def autograd_of_onehot(feats, weight, grad_output, config):
    ids = {name: feats[name] for name in reference.FIELDS}
    period = feats["cyclic_period"] if config.cyclic == "boltz" else None
    return reference.weight_gradient(ids, weight, grad_output, config.r_max, config.s_max, config.variant,
                                     config.cyclic, period, form="onehot")


@pytest.mark.parametrize("cyclic", ["none", "boltz"])
@pytest.mark.parametrize("variant", ["af3", "paper"])
def test_weight_gradient_within_the_any_order_bound_of_autograd(generator, cyclic, variant):
    for tokens, batch in ((1, None), (23, None), (60, 3), (150, None)):
        feats = random_complex(generator, tokens, batch, cyclic=cyclic == "boltz")
        weight = trunc_normal_weight(generator, 16)
        config = relpos.Config(c_z=16, variant=variant, cyclic=cyclic)
        grad_output = torch.randn(*spec_forward(feats, weight, config).shape, generator=generator)
        got = relpos.weight_gradient(feats, weight, grad_output, variant=variant, cyclic=cyclic)
        autograd = autograd_of_onehot(feats, weight, grad_output, config)
        exact, bound = any_order_bound(feats, weight, grad_output, config)
        assert got.dtype == torch.float32 and got.shape == (16, config.feature_width)
        assert ((got.double() - exact).abs() <= bound).all()
        assert ((autograd.double() - exact).abs() <= bound).all()  # the expectation itself obeys the SPEC
        assert ((got.double() - autograd.double()).abs() <= 2 * bound).all()


def test_integer_grad_output_sums_exactly(generator):
    feats = random_complex(generator, 80, batch=2, cyclic=True)
    weight = trunc_normal_weight(generator, 8)
    grad_output = torch.randint(-4, 5, (2, 80, 80, 8), generator=generator).float()
    config = relpos.Config(c_z=8, cyclic="boltz")
    exact, _ = any_order_bound(feats, weight, grad_output, config)
    got = relpos.weight_gradient(feats, weight, grad_output, cyclic="boltz")
    assert torch.equal(got.double(), exact)  # any order, no rounding: a dropped term would show


def test_the_module_loads_a_protenix_state_dict_and_differentiates_with_relpos(generator):
    feats = random_complex(generator, 48, batch=2)
    weight = trunc_normal_weight(generator, 128)
    module = RelativePositionEncoding(c_z=128, model="protenix")
    module.load_state_dict({"linear_no_bias.weight": weight})
    z = module(feats)
    assert z.shape == (2, 48, 48, 128) and z.dtype == torch.float32 and z.requires_grad
    assert torch.equal(z.detach(), spec_forward(feats, weight, relpos.Config()))
    grad_output = torch.randn(z.shape, generator=generator)
    z.backward(grad_output)
    got = module.linear_no_bias.weight.grad
    assert torch.equal(got, relpos.weight_gradient(feats, weight, grad_output))
    exact, bound = any_order_bound(feats, weight, grad_output, relpos.Config())
    assert ((got.double() - exact).abs() <= bound).all()


def test_the_module_follows_autocast_and_boltz_periods(generator):
    feats = random_complex(generator, 33, cyclic=True)
    module = RelativePositionEncoding(c_z=128, model="boltz2")
    with torch.no_grad():
        module.linear_no_bias.weight.copy_(trunc_normal_weight(generator, 128))
    weight = module.linear_no_bias.weight.detach()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        z = module(feats)
    assert z.dtype == torch.bfloat16
    expected = spec_forward(feats, weight, relpos.Config(cyclic="boltz", precision="bf16-autocast"))
    assert torch.equal(z.detach().float(), expected)
    z.float().sum().backward()  # the backward is fp32 whatever the forward's regime (SPEC part 2)
    ones = torch.ones(33, 33, 128)
    assert torch.equal(module.linear_no_bias.weight.grad, relpos.weight_gradient(feats, weight, ones, cyclic="boltz"))
    assert torch.equal(module(feats).detach(), spec_forward(feats, weight, relpos.Config(cyclic="boltz")))


def test_module_settings_are_checked():
    with pytest.raises(ValueError, match="model='boltz1' fixes variant='paper'; got variant='af3'"):
        RelativePositionEncoding(model="boltz1", variant="af3")
    module = RelativePositionEncoding(c_z=8, r_max=4, s_max=1)
    assert module.linear_no_bias.weight.shape == (8, relpos.feature_width(4, 1))
    assert "r_max=4" in repr(module)
