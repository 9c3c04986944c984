"""Every bad argument is one ValueError or TypeError naming it, never a crash."""
import numpy as np
import pytest
import torch
from conftest import random_complex, trunc_normal_weight

import relpos


@pytest.fixture
def problem(generator):
    return random_complex(generator, 12, cyclic=True), trunc_normal_weight(generator, 8)


def raises(kind, match, call):
    with pytest.raises(kind, match=match) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_feature_dict_errors(problem):
    feats, weight = problem
    raises(TypeError, "feats must be a dict", lambda: relpos.lookup([1, 2], weight))
    raises(ValueError, "missing 'sym_id'", lambda: relpos.lookup({k: v for k, v in feats.items() if k != "sym_id"},
                                                                 weight))
    raises(TypeError, r"feats\['asym_id'\] must hold integers, not torch.float32",
           lambda: relpos.lookup({**feats, "asym_id": feats["asym_id"].float()}, weight))
    raises(TypeError, r"feats\['token_index'\] must hold integers, not torch.bool",
           lambda: relpos.lookup({**feats, "token_index": feats["token_index"] > 0}, weight))
    raises(TypeError, "must be a torch tensor or a numpy array, not list",
           lambda: relpos.lookup({**feats, "entity_id": [0] * 12}, weight))
    raises(ValueError, r"feats\['residue_index'\] has shape \[11\]",
           lambda: relpos.lookup({**feats, "residue_index": feats["residue_index"][:11]}, weight))
    raises(ValueError, r"must be \[N\] or \[B, N\]",
           lambda: relpos.lookup({k: v.reshape(1, 1, 12) for k, v in feats.items()}, weight))
    raises(ValueError, "beyond int64",
           lambda: relpos.lookup({**{k: v.numpy() for k, v in feats.items()},
                                  "asym_id": np.full(12, 2 ** 64 - 1, dtype=np.uint64)}, weight))


def test_cyclic_period_errors(problem):
    feats, weight = problem
    without = {k: v for k, v in feats.items() if k != "cyclic_period"}
    raises(ValueError, r"cyclic='boltz' needs feats\['cyclic_period'\]", lambda: relpos.lookup(without, weight,
                                                                                              cyclic="boltz"))
    raises(ValueError, "holds -3; periods are >= 0",
           lambda: relpos.lookup({**feats, "cyclic_period": torch.full((12,), -3)}, weight, cyclic="boltz"))
    raises(ValueError, r"feats\['cyclic_period'\] has shape \[3\]",
           lambda: relpos.lookup({**feats, "cyclic_period": torch.zeros(3, dtype=torch.long)}, weight,
                                 cyclic="boltz"))


def test_weight_and_setting_errors(problem):
    feats, weight = problem
    raises(TypeError, "weight must be float32", lambda: relpos.lookup(feats, weight.double()))
    raises(TypeError, "weight must be float32", lambda: relpos.lookup(feats, weight.bfloat16()))
    raises(ValueError, r"weight has shape \[8, 139\] but r_max=4, s_max=2 need \[c_z, F\] = \[8, 27\]",
           lambda: relpos.lookup(feats, weight, r_max=4))
    raises(ValueError, r"weight must be \[c_z, F\]", lambda: relpos.lookup(feats, weight[0]))
    raises(ValueError, "not finite", lambda: relpos.lookup(feats, weight.index_fill(1, torch.tensor([3]),
                                                                                    float("inf"))))
    raises(ValueError, "variant must be one of 'af3', 'paper', not 'af2'", lambda: relpos.lookup(feats, weight,
                                                                                             variant="af2"))
    raises(ValueError, "precision must be one of", lambda: relpos.lookup(feats, weight, precision="fp16"))
    raises(TypeError, "r_max must be an int", lambda: relpos.lookup(feats, weight, r_max=32.0))
    raises(ValueError, "unknown model 'alphafold9'", lambda: relpos.lookup(feats, weight, model="alphafold9"))
    raises(ValueError, "model='boltz2' fixes cyclic='boltz'; got cyclic='none'",
           lambda: relpos.lookup(feats, weight, model="boltz2", cyclic="none"))
    raises(ValueError, "model='boltz2' has c_z=128; got c_z=8", lambda: relpos.lookup(feats, weight, model="boltz2"))
    raises(ValueError, "threads must be >= 0", lambda: relpos.lookup(feats, weight, threads=-1))


def test_output_errors(problem):
    feats, weight = problem
    raises(ValueError, "accumulate=True needs out", lambda: relpos.lookup(feats, weight, accumulate=True))
    raises(ValueError, r"out has shape \[12, 12, 7\] but the pair tensor is \[12, 12, 8\]",
           lambda: relpos.lookup(feats, weight, out=torch.empty(12, 12, 7)))
    raises(TypeError, "out must be float32 here, not bfloat16",
           lambda: relpos.lookup(feats, weight, out=torch.empty(12, 12, 8, dtype=torch.bfloat16)))
    raises(TypeError, "out must be float32 here, not float64",
           lambda: relpos.lookup(feats, weight, out=torch.empty(12, 12, 8, dtype=torch.float64)))
    raises(ValueError, "out must be contiguous",
           lambda: relpos.lookup(feats, weight, out=torch.empty(12, 8, 12).transpose(1, 2)))
    raises(ValueError, "out requires grad", lambda: relpos.lookup(feats, weight,
                                                                  out=torch.zeros(12, 12, 8, requires_grad=True)))
    raises(TypeError, "out must be float32 here", lambda: relpos.lookup(
        feats, weight, out=torch.empty(12, 12, 8, dtype=torch.bfloat16), precision="bf16", accumulate=True))


def test_a_device_this_build_lacks(problem):
    feats, weight = problem
    raises(ValueError, "is on meta; relpos runs on cpu and cuda tensors",
           lambda: relpos.lookup(feats, torch.empty(8, 139, device="meta")))
    if not relpos.cuda_built:
        # A CUDA tensor needs a GPU to exist; the check it would meet is the build's.
        assert "cuda" in [b["name"] for b in relpos.backends()]
        assert not [b for b in relpos.backends() if b["name"] == "cuda"][0]["available"]


def test_gradient_errors(problem):
    feats, weight = problem
    raises(ValueError, r"grad_output has shape \[12, 12\]",
           lambda: relpos.weight_gradient(feats, weight, torch.zeros(12, 12)))
    raises(TypeError, "grad_output must be float32 or bfloat16, not torch.float16",
           lambda: relpos.weight_gradient(feats, weight, torch.zeros(12, 12, 8, dtype=torch.float16)))
    raises(TypeError, "grad_output must be a torch tensor or a numpy array",
           lambda: relpos.weight_gradient(feats, weight, 1.0))
