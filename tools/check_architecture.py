#!/usr/bin/env python3
"""The shape of src/, checked: every #include goes down the layers
(core -> backends -> io -> harness, bench -> cli, python), no header include circle,
no backend named as a string outside the backends' folders (a line that
says "not a backend" in a comment is exempt), no function over 120 lines. Exit 0 when all hold, 1 with one line per finding.

    tools/check_architecture.py [ROOT ...]   (default: src/ and include/ beside this script)

Paths are taken relative to each root, so include/relpos/io/x.hpp and
src/relpos/io/x.cpp are both in layer io.
"""
import os
import re
import sys

# Folder -> (layer, rank). A file may include its own layer and any lower rank;
# harness and bench are peers (neither imports the other).
LAYERS = {
    "": ("core", 0), "layouts": ("core", 0),
    "backends": ("backends", 1), "cuda": ("backends", 1),
    "io": ("io", 2), "fixtures": ("io", 2),
    "harness": ("harness", 3), "bench": ("bench", 3),
}
BACKEND_FOLDERS = ("relpos/backends/", "relpos/cuda/")
SOURCE_SUFFIXES = (".cpp", ".hpp", ".cu", ".h")
MAX_FUNCTION_LINES = 120


def layer_of(path):
    """(layer, rank) of a path relative to src/ (or an include spelled from there); None outside relpos."""
    if path.startswith("cli/"):
        return ("cli", 4)
    if path.startswith("python/"):
        return ("python", 4)
    parts = path.split("/")
    if parts[0] != "relpos":
        return None
    return LAYERS.get(parts[1] if len(parts) > 2 else "")


def strip_comments_and_strings(text, keep_strings=False):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'R"\((.*?)\)"', lambda m: '""' + "\n" * m.group(0).count("\n"), text, flags=re.S)
    if not keep_strings:
        text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
        text = re.sub(r"'(\\.|[^'\\\n])'", "''", text)
    return text


def sources(src):
    for folder, _, files in os.walk(src):
        for name in sorted(files):
            if name.endswith(SOURCE_SUFFIXES):
                full = os.path.join(folder, name)
                yield os.path.relpath(full, src).replace(os.sep, "/"), full


def includes(full):
    with open(full, errors="replace") as f:
        for number, line in enumerate(f, 1):
            match = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if match:
                yield number, match.group(1)


def check_layers(files):
    findings = []
    for rel, full in files:
        mine = layer_of(rel)
        for number, target in includes(full):
            theirs = layer_of(target)
            if not mine or not theirs or theirs == mine:
                continue
            if theirs[1] > mine[1] or (theirs[1] == mine[1] and theirs[0] != mine[0]):
                findings.append(f"{rel}:{number}: {mine[0]} imports {target} ({theirs[0]}): imports only go down")
    return findings


def check_circles(files):
    graph = {rel: [t for _, t in includes(full)] for rel, full in files}
    findings, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for target in graph.get(node, []):
            if target not in graph:
                continue
            if state.get(target) == "open":
                cycle = path[path.index(target):] + [target] if target in path else [node, target]
                findings.append("include circle: " + " -> ".join(cycle))
            elif target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [node])
    return findings


def backend_names(roots):
    for root in roots:
        path = os.path.join(root, "relpos/backends/registry.cpp")
        if os.path.exists(path):
            with open(path) as f:
                return re.findall(r'\{"([a-z0-9-]+)",\s*"', f.read())
    return []


def check_backend_names(files, names):
    findings = []
    for rel, full in files:
        if rel.startswith(BACKEND_FOLDERS):
            continue
        with open(full, errors="replace") as f:
            raw = f.read()
        raw_lines = raw.split("\n")
        text = strip_comments_and_strings(raw, keep_strings=True)
        for number, line in enumerate(text.split("\n"), 1):
            if "not a backend" in raw_lines[number - 1]:  # e.g. the JSON key "cpu" of the machine's processor
                continue
            for literal in re.findall(r'"((?:\\.|[^"\\])*)"', line):
                if literal in names:
                    findings.append(f'{rel}:{number}: names the backend "{literal}" (ask the registry instead)')
    return findings


def function_lengths(full):
    """(first line, lines, head) of each outermost brace block that opens a function body."""
    text = strip_comments_and_strings(open(full, errors="replace").read()).split("\n")
    stack, found = [], []
    for number, line in enumerate(text, 1):
        for i, ch in enumerate(line):
            if ch == "{":
                head = line[:i].strip() or (text[number - 2].strip() if number >= 2 else "")
                control = re.match(r"^(if|for|while|switch|else|do|catch|try)\b", head) or \
                    re.search(r"\b(if|for|while|switch)\s*\(", head)
                body = (")" in head or head.endswith("const") or "override" in head) and not control
                stack.append((number, head, body and not any(s[2] for s in stack)))
            elif ch == "}" and stack:
                start, head, body = stack.pop()
                if body:
                    found.append((start, number - start + 1, head))
    return found


def check_function_lengths(files):
    findings = []
    for rel, full in files:
        for start, lines, head in function_lengths(full):
            if lines > MAX_FUNCTION_LINES:
                findings.append(f"{rel}:{start}: a function of {lines} lines (at most {MAX_FUNCTION_LINES}): {head[:70]}")
    return findings


def main(argv):
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    roots = argv[1:] or [os.path.join(here, "src"), os.path.join(here, "include")]
    files = [f for root in roots for f in sources(root)]
    if not files:
        print(f"check_architecture: {', '.join(roots)}: no sources", file=sys.stderr)
        return 2
    findings = (check_layers(files) + check_circles(files) + check_backend_names(files, backend_names(roots)) +
                check_function_lengths(files))
    for line in findings:
        print(line)
    print(f"check_architecture: {len(files)} files, {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
