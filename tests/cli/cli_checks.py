"""What the end-to-end scripts share: the skip rule, recorded checks, running
a command, and the summary that decides the exit code."""
import importlib
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
