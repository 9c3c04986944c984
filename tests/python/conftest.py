"""Shared pieces of the Python module's tests: relpos (from build/python, via
PYTHONPATH), and tools/relpos_reference.py, an independent PyTorch
implementation of SPEC.md that the expectations come from."""
import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import relpos_reference as reference  # noqa: E402

torch.set_num_threads(1)


def spec_forward(feats, weight, config, form="lookup", mutant=None):
    """The SPEC's pair tensor for a relpos.Config (float32; bf16 values widened)."""
    ids = {name: torch.as_tensor(feats[name]) for name in reference.FIELDS}
    period = torch.as_tensor(feats["cyclic_period"]) if config.cyclic == "boltz" else None
    return reference.forward(ids, torch.as_tensor(weight), config.r_max, config.s_max, config.variant, config.cyclic,
                             period, config.precision, form=form, mutant=mutant)


def random_complex(generator, tokens, batch=None, cyclic=False):
    """A feature dict of int64 tensors: chains of proteins with residue gaps, copies of
    one entity, ligand tokens sharing a residue; periods on some chains when cyclic."""
    def one():
        asym, residue, entity, sym, period = [], [], [], [], []
        chain = 0
        copies = {}
        while len(asym) < tokens:
            length = int(torch.randint(1, 12, (1,), generator=generator))
            length = min(length, tokens - len(asym))
            kind = int(torch.randint(0, 3, (1,), generator=generator))
            ent = int(torch.randint(0, 3, (1,), generator=generator))
            start = int(torch.randint(-5, 60, (1,), generator=generator))
            ligand = kind == 2
            for k in range(length):
                asym.append(chain)
                residue.append(start if ligand else start + k + (3 * k if k % 4 == 3 else 0))
                entity.append(ent)
                sym.append(copies.get(ent, 0))
                period.append(length if cyclic and kind == 1 else 0)
            copies[ent] = copies.get(ent, 0) + 1
            chain += 1
        return {"asym_id": torch.tensor(asym), "residue_index": torch.tensor(residue),
                "entity_id": torch.tensor(entity), "sym_id": torch.tensor(sym),
                "token_index": torch.arange(tokens) * 2 + 1, "cyclic_period": torch.tensor(period)}
    if batch is None:
        return one()
    elements = [one() for _ in range(batch)]
    return {key: torch.stack([e[key] for e in elements]) for key in elements[0]}


@pytest.fixture
def generator():
    return torch.Generator().manual_seed(20261202)


def trunc_normal_weight(generator, c_z, r_max=32, s_max=2):
    width = reference.feature_width(r_max, s_max)
    return (torch.randn(c_z, width, generator=generator) * 0.02).clamp(-0.04, 0.04).float()
