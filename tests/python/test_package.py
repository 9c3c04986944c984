"""The package itself: importable without torch, and what it reports about this build."""
import os
import subprocess
import sys

import relpos


def test_import_relpos_does_not_import_torch():
    code = "import relpos, sys; relpos.lookup; assert 'torch' not in sys.modules, 'torch was imported'"
    done = subprocess.run([sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_numpy_only_use_needs_no_torch():
    code = ("import numpy as np, relpos, sys\n"
            "ids = {k: np.arange(4) for k in relpos.FIELDS}\n"
            "z = relpos.lookup(ids, np.ones((2, relpos.feature_width()), np.float32))\n"
            "assert z.shape == (4, 4, 2) and 'torch' not in sys.modules\n"
            "assert (z[0, 0] == 4).all()  # four weight columns of ones on the diagonal (same entity)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_what_the_build_reports():
    assert relpos.__version__.count(".") == 2
    names = [b["name"] for b in relpos.backends()]
    assert names[:3] == ["onehot", "onehot-blas", "cpu"]
    assert isinstance(relpos.cuda_built, bool)
    assert list(relpos.presets()) == ["protenix", "pxdesign", "af3", "openfold3", "boltz1", "boltz2"]
    assert relpos.presets()["boltz1"]["variant"] == "paper"
    assert relpos.feature_width(32, 2) == 139 and relpos.Config().feature_width == 139
