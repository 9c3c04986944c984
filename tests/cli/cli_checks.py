"""What the end-to-end scripts share: the skip rule, recorded checks, running
a command, and the summary that decides the exit code."""
import importlib
import os
import subprocess
import sys

failures = []


def require(modules, debian_packages):
    """Import `modules` or exit 77 (ctest: skipped), naming the Debian packages that provide them."""
    try:
        return [importlib.import_module(name) for name in modules]
    except ImportError as error:
        print(f"SKIP: {error.name} is not installed for {sys.executable} (Debian: {debian_packages})")
        sys.exit(77)


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}")


def run(command, env=None):
    """(exit code, stdout, stderr) of `command`, a list of arguments."""
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    return result.returncode, result.stdout, result.stderr


def summary(name):
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print(f"{name}: all checks passed")
    return 0


def protenix_checkpoint(work, seed, key="model.relative_position_encoding.linear_no_bias.weight"):
    """A PyTorch checkpoint holding a W [128, 139] drawn as Protenix initialises it (truncated normal,
    std sqrt(1/F)/0.8796, cut at 2 std), under `key` (dots nest into dicts at the first level)."""
    import torch
    torch.manual_seed(seed)
    std = (1.0 / 139) ** 0.5 / 0.87962566103423978
    weight = torch.nn.init.trunc_normal_(torch.empty(128, 139), std=std, a=-2 * std, b=2 * std)
    top, _, rest = key.partition(".")
    path = os.path.join(work, f"protenix_{seed}.pt")
    torch.save({top: {rest: weight}} if rest else {top: weight}, path)
    return path, weight
