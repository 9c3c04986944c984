"""relpos.prove / relpos.assert_equivalent: the C++ harness on PyTorch functions, in process."""
import json
import os

import pytest
import torch
from conftest import reference, spec_forward

import relpos


def lookup_fn(mutant=None, variant=None):
    """A PyTorch lookup told each case's config: ((t1 + t2) + t3) + t4, differentiable by autograd."""
    def fn(feats, weight, config):
        if variant is not None:
            config = relpos.Config(config.r_max, config.s_max, config.c_z, variant, config.cyclic, config.precision)
        return spec_forward(feats, weight, config, form="lookup", mutant=mutant)
    fn.__qualname__ = f"lookup{'-' + mutant if mutant else ''}"
    return fn


def af3_onehot(feats, weight):
    """The original, told nothing: F.linear of the one-hot features (autocast decides the precision)."""
    ids = {name: feats[name] for name in reference.FIELDS}
    bins = reference.bins(ids, 32, 2)
    return torch.nn.functional.linear(reference.onehot_features(bins, 32, 2), weight)


def test_a_correct_lookup_passes_every_property_in_every_scope():
    report = relpos.assert_equivalent(lookup_fn(), cases=40, exact_order=True)
    assert report.passed and bool(report) and report.counterexample is None
    assert report.cases > 40 * 10 and "PASS" in report.text
    ran = {row["property"] for row in report.results if row["status"] == "pass"}
    assert {"fp32", "bf16", "bf16-autocast", "permutation", "cyclic-shift", "scale"} <= ran
    assert json.loads(report.to_json())["passed"] is True


def test_the_paper_chain_term_fails_under_model_af3_with_a_small_counterexample():
    with pytest.raises(relpos.EquivalenceError) as caught:
        relpos.assert_equivalent(lookup_fn(variant="paper"), model="af3", cases=40)
    message = str(caught.value)
    assert isinstance(caught.value, AssertionError)
    assert "shrunk counterexample" in message.splitlines()[0]  # the message leads with it
    report = caught.value.report
    cx = report.counterexample
    assert not report.passed and cx.tokens <= 2 and cx.config.variant == "af3"
    assert cx.config.precision == "bf16-autocast"
    # The counterexample reproduces in Python: the function and the SPEC disagree on it.
    feats = {name: torch.from_numpy(array) for name, array in cx.feats.items()}
    weight = torch.from_numpy(cx.weight)
    assert not torch.equal(lookup_fn(variant="paper")(feats, weight, cx.config), spec_forward(feats, weight, cx.config))


def test_a_two_argument_onehot_original_passes_its_models_scope_under_autocast():
    report = relpos.assert_equivalent(af3_onehot, model="protenix", cases=30)
    ran = {row["property"] for row in report.results if row["status"] == "pass"}
    assert {"fp32", "bf16-autocast"} <= ran and "bf16" not in ran
    assert "model protenix" in report.scope


def test_backward_passes_autograd_of_a_lookup_and_of_the_onehot_original():
    report = relpos.assert_equivalent(lookup_fn(), backward=True, cases=30)
    assert {"grad", "grad-permutation", "grad-additivity", "grad-column-sums"} <= {
        row["property"] for row in report.results if row["status"] == "pass"}
    relpos.assert_equivalent(af3_onehot, backward=True, cases=30, precision="fp32")


@pytest.mark.parametrize("mutant", ["grad-drop-entity", "grad-mirror-chain", "grad-skip-last-pair"])
def test_gradient_mutants_fail_and_shrink_small(mutant):
    report = relpos.prove(lookup_fn(mutant), backward=True, cases=60)
    assert not report.passed
    failed = [row["property"] for row in report.results if row["status"] == "FAIL"]
    assert failed and all(name.startswith("grad") for name in failed), failed
    assert report.counterexample.tokens <= 4


def test_a_function_that_raises_or_answers_the_wrong_shape_is_a_finding_not_a_crash():
    def raises(feats, weight):
        raise RuntimeError("kernel exploded")

    report = relpos.prove(raises, cases=5)
    assert not report.passed and "fn raised RuntimeError: kernel exploded" in report.text

    report = relpos.prove(lambda feats, weight: torch.zeros(3, 3), cases=5)
    assert not report.passed and "where the case needs" in report.text

    report = relpos.prove(lambda feats, weight: af3_onehot(feats, weight).double(), cases=5)
    assert not report.passed and "torch.float64" in report.text

    report = relpos.prove(lambda feats, weight: af3_onehot(feats, weight).detach(), cases=5, backward=True)
    assert "does not depend on weight through autograd" in report.text


def test_an_interrupt_stops_the_run_and_is_raised_again():
    calls = []

    def interrupted(feats, weight):
        calls.append(1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        relpos.prove(interrupted, cases=50)
    assert len(calls) == 1


def test_settings_are_checked_with_one_clear_line():
    with pytest.raises(TypeError, match="fn must be callable"):
        relpos.prove(42)
    with pytest.raises(ValueError, match="cannot be told to round its fp32 sum to bf16"):
        relpos.prove(af3_onehot, precision="bf16")
    with pytest.raises(ValueError, match="model='boltz2' runs cyclic 'boltz'; got 'none'"):
        relpos.prove(af3_onehot, model="boltz2", cyclic="none")
    with pytest.raises(ValueError, match="model='protenix' fixes r_max=32; got r_max=8"):
        relpos.prove(af3_onehot, model="protenix", r_max=8)
    with pytest.raises(ValueError, match="properties must be one of"):
        relpos.prove(af3_onehot, properties=["fp33"])
    with pytest.raises(ValueError, match="cases must be >= 1"):
        relpos.prove(af3_onehot, cases=0)
    with pytest.raises(ValueError, match="no property applies"):
        relpos.prove(af3_onehot, properties=["accumulate"])
    with pytest.raises(ValueError, match="policy"):
        relpos.prove(af3_onehot, policy="bitwise-ish")


def test_rc_params_override_as_in_cpp_tests(monkeypatch):
    monkeypatch.setenv("RC_PARAMS", "max_success=7 seed=99")
    report = relpos.prove(lookup_fn(), properties=["fp32"])
    assert report.cases == 7 and report.seed == 99
