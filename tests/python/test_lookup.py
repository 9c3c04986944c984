"""relpos.lookup agrees bitwise with an independent PyTorch implementation of the SPEC."""
import numpy as np
import pytest
import torch
from conftest import random_complex, spec_forward, trunc_normal_weight

import relpos

PRECISIONS = ["fp32", "bf16", "bf16-autocast"]


def same_bits(got, expected):
    got = got.float() if isinstance(got, torch.Tensor) else torch.from_numpy(got)
    assert got.shape == expected.shape
    mismatches = (got.view(torch.int32) != expected.view(torch.int32)) & ~((got == 0) & (expected == 0))
    assert not mismatches.any(), f"{int(mismatches.sum())} of {got.numel()} values differ"


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("cyclic", ["none", "boltz"])
@pytest.mark.parametrize("variant", ["af3", "paper"])
def test_lookup_equals_the_spec_bitwise(generator, precision, cyclic, variant):
    for tokens, batch in ((1, None), (37, None), (70, 2), (130, None)):
        feats = random_complex(generator, tokens, batch, cyclic=cyclic == "boltz")
        weight = trunc_normal_weight(generator, 24)
        config = relpos.Config(c_z=24, variant=variant, cyclic=cyclic, precision=precision)
        got = relpos.lookup(feats, weight, variant=variant, cyclic=cyclic, precision=precision)
        assert got.dtype == (torch.float32 if precision == "fp32" else torch.bfloat16)
        same_bits(got, spec_forward(feats, weight, config))


@pytest.mark.parametrize("model", [p for p in relpos.presets()])
def test_model_presets_fix_the_axes(generator, model):
    preset = relpos.presets()[model]
    feats = random_complex(generator, 45, cyclic=preset["cyclic"] == "boltz")
    weight = trunc_normal_weight(generator, preset["c_z"], preset["r_max"], preset["s_max"])
    for precision in preset["precisions"]:
        config = relpos.Config(preset["r_max"], preset["s_max"], preset["c_z"], preset["variant"], preset["cyclic"],
                               precision)
        same_bits(relpos.lookup(feats, weight, model=model, precision=precision), spec_forward(feats, weight, config))


def test_other_r_max_s_max_and_int32_numpy_inputs(generator):
    feats = random_complex(generator, 50)
    weight = trunc_normal_weight(generator, 8, r_max=5, s_max=1)
    arrays = {k: v.numpy().astype(np.int32) for k, v in feats.items()}
    got = relpos.lookup(arrays, weight.numpy(), r_max=5, s_max=1)
    assert isinstance(got, np.ndarray) and got.dtype == np.float32
    same_bits(got, spec_forward(feats, weight, relpos.Config(r_max=5, s_max=1, c_z=8)))
    # numpy has no bfloat16: bf16 values come back widened to float32, exactly.
    got = relpos.lookup(arrays, weight.numpy(), r_max=5, s_max=1, precision="bf16-autocast")
    same_bits(got, spec_forward(feats, weight, relpos.Config(r_max=5, s_max=1, c_z=8, precision="bf16-autocast")))


def test_writes_into_out_and_accumulates_without_a_new_tensor(generator):
    feats = random_complex(generator, 40, batch=2)
    weight = trunc_normal_weight(generator, 16)
    expected = spec_forward(feats, weight, relpos.Config(c_z=16))
    out = torch.full((2, 40, 40, 16), float("nan"))
    assert relpos.lookup(feats, weight, out=out) is out
    same_bits(out, expected)
    z = torch.randn(2, 40, 40, 16, generator=generator)
    before = z.clone()
    relpos.lookup(feats, weight, out=z, accumulate=True)  # Protenix: z_init += relpe(feats)
    same_bits(z, before + expected)
    out_bf16 = torch.empty(2, 40, 40, 16, dtype=torch.bfloat16)
    relpos.lookup(feats, weight, out=out_bf16, precision="bf16")
    same_bits(out_bf16, spec_forward(feats, weight, relpos.Config(c_z=16, precision="bf16")))


def test_thread_count_does_not_change_a_bit(generator):
    feats = random_complex(generator, 90)
    weight = trunc_normal_weight(generator, 32)
    one = relpos.lookup(feats, weight, threads=1)
    two = relpos.lookup(feats, weight, threads=2)
    assert torch.equal(one.view(torch.int32), two.view(torch.int32))


def test_extra_feature_keys_are_ignored_and_cyclic_none_ignores_periods(generator):
    feats = random_complex(generator, 20, cyclic=True)
    feats["restype"] = torch.zeros(20, 32)
    weight = trunc_normal_weight(generator, 4)
    same_bits(relpos.lookup(feats, weight), spec_forward(feats, weight, relpos.Config(c_z=4)))
