"""The README's one-line tests, as a user writes them for a Protenix-style and a Boltz-style module."""
import relpos
from model_modules import BoltzStyleRelPE, ProtenixStyleRelPE
from relpos.torch import module_fn


def test_protenix_relpe_is_algorithm_3():
    relpos.assert_equivalent(module_fn(ProtenixStyleRelPE()), model="protenix")


def test_boltz2_relpe_is_algorithm_3():
    relpos.assert_equivalent(module_fn(BoltzStyleRelPE(), "linear_layer.weight", batched=True), model="boltz2")
