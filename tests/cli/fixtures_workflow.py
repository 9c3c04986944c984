#!/usr/bin/python3
"""The fixture workflow through the CLI, on a copy of the committed set:
`fixtures regen` run twice gives identical sha256s
(equal to the committed ones); regen refuses on CI; one changed byte in a
fixture or in the recipe makes check fail (exit 1) and name it; missing,
unlisted and stale files are named; `fixtures make` refuses bad input.

usage: fixtures_workflow.py RELPOS_BINARY SOURCE_DIR   (standard library only)
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile

from cli_checks import check, run as run_command, summary

RELPOS, SOURCE = sys.argv[1], sys.argv[2]


def run(*args, ci=None):
    env = dict(os.environ)
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    return run_command([RELPOS, *args], env=env)


def hashes(directory):
    found = {}
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as stream:
                found[os.path.relpath(path, directory)] = hashlib.sha256(stream.read()).hexdigest()
    return found


def status_rows(stdout):
    """{file: status} from the check table, problems only."""
    rows = {}
    for line in stdout.splitlines():
        for status in ("missing", "not in the recipe", "not in the manifest", "altered", "stale"):
            parts = line.split(None, 1)
            if len(parts) == 2 and parts[1].startswith(status):
                rows.setdefault(parts[0], []).append(status)
    return rows


def main():
    work = tempfile.mkdtemp(prefix="relpos-workflow-")
    try:
        committed = os.path.join(SOURCE, "fixtures")
        full = os.path.join(work, "full")
        shutil.copytree(committed, full)

        # (ctest's fixtures.check runs `fixtures check` on the committed set itself.)
        # Regeneration is deterministic and reproduces the committed bytes.
        before = hashes(full)
        code, out, err = run("fixtures", "regen", "--fixtures", full)
        check(code == 0, f"regen #1 failed ({code}): {err}")
        first = hashes(full)
        code, out, err = run("fixtures", "regen", "--fixtures", full)
        check(code == 0, f"regen #2 failed ({code}): {err}")
        second = hashes(full)
        check(first == second, "two regenerations give different sha256s: "
              + ", ".join(sorted(k for k in first if first.get(k) != second.get(k))))
        check(first == before, "regeneration changed committed files: "
              + ", ".join(sorted(k for k in first if first.get(k) != before.get(k))))
        print(f"regen twice: {len(first)} files, identical sha256s")

        # Never on CI.
        code, out, err = run("fixtures", "regen", "--fixtures", full, ci="true")
        check(code == 2 and "CI" in err and err.strip().count("\n") == 0, f"regen with CI set must refuse: {code} {err}")
        check(hashes(full) == before, "a refused regen must not touch files")

        # A small set for the failure cases (the big fixtures make each check slow).
        small = os.path.join(work, "small")
        os.makedirs(small)
        with open(os.path.join(committed, "recipe.json")) as stream:
            recipe = json.load(stream)
        recipe["fixtures"] = [f for f in recipe["fixtures"] if f["name"] in ("monomer", "batch3_bf16", "homotrimer_s_max1")]
        with open(os.path.join(small, "recipe.json"), "w") as stream:
            json.dump(recipe, stream, indent=2)
        code, out, err = run("fixtures", "regen", "--fixtures", small)
        check(code == 0, f"regen of the small set failed: {err}")
        check(hashes(small)["monomer.h5"] == before["monomer.h5"], "the same recipe entry gives the same bytes")
        code, out, err = run("fixtures", "check", "--fixtures", small)
        check(code == 0, f"check of the small set ({code}):\n{out}")

        def expect_problem(what, file, status):
            code, out, err = run("fixtures", "check", "--fixtures", small)
            rows = status_rows(out)
            check(code == 1, f"{what}: check must exit 1, got {code}:\n{out}{err}")
            check(status in rows.get(file, []), f"{what}: check must name {file} as {status}:\n{out}")

        fixture = os.path.join(small, "monomer.h5")
        original = open(fixture, "rb").read()
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x40
        open(fixture, "wb").write(bytes(changed))
        expect_problem("one byte of a fixture", "monomer.h5", "altered")
        open(fixture, "wb").write(original)

        recipe_path = os.path.join(small, "recipe.json")
        recipe_text = open(recipe_path, "rb").read()
        open(recipe_path, "wb").write(recipe_text.replace(b"  ", b" \t", 1))
        expect_problem("one byte of the recipe", "recipe.json", "altered")
        open(recipe_path, "wb").write(recipe_text)

        os.rename(fixture, fixture + ".moved")
        expect_problem("a missing fixture", "monomer.h5", "missing")
        os.rename(fixture + ".moved", fixture)

        shutil.copy(fixture, os.path.join(small, "stray.h5"))
        expect_problem("an unlisted file", "stray.h5", "not in the recipe")
        os.remove(os.path.join(small, "stray.h5"))

        # Stale: a fixture replaced by one made differently, with its manifest line updated to match.
        code, out, err = run("fixtures", "make", "--weights",
                             os.path.join(small, "weights", "protenix_synthetic_r32_s2_c128.safetensors"),
                             "--layout", "monomer", "--out", fixture, "--force", "--policy", "bound:6",
                             "--source-label", "weights/protenix_synthetic_r32_s2_c128.safetensors")
        check(code == 0, f"fixtures make --force: {err}")
        manifest_path = os.path.join(small, "MANIFEST.sha256")
        lines = open(manifest_path).read().splitlines()
        digest = hashlib.sha256(open(fixture, "rb").read()).hexdigest()
        lines = [f"{digest}  monomer.h5" if line.endswith("  monomer.h5") else line for line in lines]
        open(manifest_path, "w").write("\n".join(lines) + "\n")
        expect_problem("a stale fixture", "monomer.h5", "stale")
        code, out, err = run("fixtures", "check", "--fixtures", small)
        check("attribute policy" in out or "attribute generator" in out, f"stale names its reason:\n{out}")
        code, out, err = run("fixtures", "regen", "--fixtures", small, "--only", "monomer")
        check(code == 0 and "monomer.h5" in out, f"regen --only monomer: {err}")
        code, out, err = run("fixtures", "check", "--fixtures", small)
        check(code == 0, f"after regen --only the set is clean again ({code}):\n{out}")

        # fixtures make refuses bad input with exit 2 and one line.
        weights = os.path.join(small, "weights", "protenix_synthetic_r32_s2_c128.safetensors")
        bad_json = os.path.join(work, "bad.json")
        open(bad_json, "w").write('{"asym_id": [0, 1], "residue_index": [0]')
        for args, phrase in (
            (["--layout", "monomer", "--out", fixture], "already exists"),
            (["--layout", "no_such_layout", "--out", os.path.join(work, "x.h5")], "no_such_layout"),
            (["--layout", bad_json, "--out", os.path.join(work, "x.h5")], "not valid JSON"),
            (["--layout", "monomer", "--out", os.path.join(work, "x.h5"), "--policy", "nearly"], "policy"),
            (["--layout", "monomer", "--out", os.path.join(work, "x.h5"), "--r-max", "31"], "r_max = 31"),
        ):
            code, out, err = run("fixtures", "make", "--weights", weights, *args)
            check(code == 2 and phrase in err and err.strip().count("\n") == 0,
                  f"fixtures make {' '.join(args)}: exit 2 with one line containing '{phrase}', got {code}: {err}")
        check(not os.path.exists(os.path.join(work, "x.h5")), "no output after a refused make")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary("fixtures workflow")


if __name__ == "__main__":
    sys.exit(main())
