"""tools/check_architecture.py holds on src/, and finds each kind of breach
it claims to find in a small tree made to break every rule once."""
import os
import subprocess
import sys
import tempfile

from cli_checks import check, summary

source = sys.argv[2]
checker = os.path.join(source, "tools", "check_architecture.py")


def run_checker(*roots):
    result = subprocess.run([sys.executable, checker, *roots], capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def broken_tree(root):
    write(root, "relpos/backends/registry.cpp", '{"fast", "a backend"},\n')
    write(root, "relpos/config.cpp", '#include "relpos/io/fixture.hpp"\n')  # core imports io
    write(root, "relpos/io/fixture.hpp", '#include "relpos/io/reader.hpp"\n')
    write(root, "relpos/io/reader.hpp", '#include "relpos/io/fixture.hpp"\n')  # a circle
    write(root, "relpos/harness/prove.cpp", 'auto b = make_backend("fast");\n')  # a backend by name
    write(root, "relpos/bench/runner.cpp", '#include "relpos/harness/prove.hpp"\n')  # peers do not import
    body = "".join(f"  x += {i};\n" for i in range(130))
    write(root, "relpos/compare.cpp", "int long_one(int x) {\n" + body + "  return x;\n}\n")


code, out = run_checker(os.path.join(source, "src"), os.path.join(source, "include"))
check(code == 0, f"src/ breaks the architecture ({code}):\n{out}")

with tempfile.TemporaryDirectory(prefix="relpos-arch-") as root:
    broken_tree(root)
    code, out = run_checker(root)
    check(code == 1, f"the broken tree must fail ({code}):\n{out}")
    for needle in ("relpos/config.cpp:1: core imports relpos/io/fixture.hpp",
                   "include circle: relpos/io/fixture.hpp -> relpos/io/reader.hpp -> relpos/io/fixture.hpp",
                   'relpos/harness/prove.cpp:1: names the backend "fast"',
                   "relpos/bench/runner.cpp:1: bench imports relpos/harness/prove.hpp",
                   "relpos/compare.cpp:1: a function of 133 lines"):
        check(needle in out, f"expected '{needle}' in:\n{out}")

sys.exit(summary("architecture check"))
