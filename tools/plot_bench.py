#!/usr/bin/python3
"""Plot a `relpos bench --json` report (schema relpos-bench/1) as one PNG.

    tools/plot_bench.py REPORT.json [-o OUT.png] [--force]

Four panels against N: median time per backend and mode (bars: min..max),
achieved GB/s next to the same-run limit, the ratio to that limit, and the
memory of every path (the model as lines, measured peaks of our paths as
points). Uses Debian's python3-matplotlib with the Agg backend (no display).
Exit codes: 0 written, 2 bad input (one line on stderr).
"""
import argparse
import json
import os
import sys
import tempfile

SCHEMA = "relpos-bench/1"
MODE_STYLE = {"fp32": "-", "bf16": "--", "accumulate": ":"}
MODE_MARKER = {"fp32": "o", "bf16": "s", "accumulate": "^"}


def fail(message):
    print(f"plot_bench: error: {message}", file=sys.stderr)
    sys.exit(2)


def load_report(path):
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except OSError as error:
        fail(f"{path}: cannot be read ({error.strerror})")
    except json.JSONDecodeError as error:
        fail(f"{path}: not valid JSON ({error.msg} at line {error.lineno})")
    if not isinstance(report, dict) or report.get("schema") != SCHEMA:
        fail(f"{path}: not a {SCHEMA} report (schema {report.get('schema') if isinstance(report, dict) else None!r})")
    for key in ("records", "memory_model"):
        if not isinstance(report.get(key), list):
            fail(f"{path}: '{key}' is missing or not a list")
    for index, record in enumerate(report["records"]):
        for key in ("backend", "mode", "n", "threads", "median_ms", "min_ms", "max_ms", "gbps", "limit_ms",
                    "bytes_moved", "limit_ratio", "output_bytes"):
            if key not in record:
                fail(f"{path}: record {index} has no '{key}'")
    return report


def mode_of(record):
    """The record's mode, with " backward" for the weight gradient (relpos bench --direction backward)."""
    return record["mode"] + ("" if record.get("direction", "forward") == "forward" else " backward")


def series(records):
    """Records grouped by (backend, mode, threads), each sorted by N."""
    groups = {}
    for record in records:
        groups.setdefault((record["backend"], mode_of(record), record["threads"]), []).append(record)
    return {key: sorted(value, key=lambda r: r["n"]) for key, value in sorted(groups.items())}


def label(backend, mode, threads):
    return f"{backend} {mode}" + (f" {threads}t" if threads else "")


def plot(report, out_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = series(report["records"])
    backends = sorted({key[0] for key in groups})
    colours = {name: plt.cm.tab10(index % 10) for index, name in enumerate(backends)}
    figure, axes = plt.subplots(2, 2, figsize=(15, 11))
    time_axis, bandwidth_axis, ratio_axis, memory_axis = axes.flat

    for (backend, mode, threads), records in groups.items():
        n = [r["n"] for r in records]
        colour = colours[backend]
        style = dict(color=colour, linestyle=MODE_STYLE.get(mode, "-"), marker=MODE_MARKER.get(mode, "o"),
                     alpha=0.55 + 0.45 * (threads == max(k[2] for k in groups if k[0] == backend)))
        median = [r["median_ms"] for r in records]
        errors = [[m - r["min_ms"] for m, r in zip(median, records)], [r["max_ms"] - m for m, r in zip(median, records)]]
        time_axis.errorbar(n, median, yerr=errors, capsize=2, label=label(backend, mode, threads), **style)
        bandwidth_axis.plot(n, [r["gbps"] for r in records], label=label(backend, mode, threads), **style)
        ratio_axis.plot(n, [r["limit_ratio"] for r in records], label=label(backend, mode, threads), **style)

    # The same-run limits, as achieved GB/s (one line per mode and thread count, from any backend's records).
    limits = {}
    for record in report["records"]:
        key = (mode_of(record), record["threads"], record.get("limit_kind", "limit"))
        limits.setdefault(key, {})[record["n"]] = record["bytes_moved"] / (record["limit_ms"] * 1e-3) / 1e9
    for (mode, threads, kind), points in sorted(limits.items()):
        n = sorted(points)
        bandwidth_axis.plot(n, [points[k] for k in n], color="black", linestyle=MODE_STYLE.get(mode, "-"),
                            linewidth=0.8, alpha=0.6, label=f"limit: {kind} {mode} {threads}t")

    modelled = {}
    for point in report["memory_model"]:
        if point["mode"] == "fp32":
            modelled.setdefault(point["path"], []).append((point["n"], point["peak_bytes"]))
    for index, (path, points) in enumerate(sorted(modelled.items())):
        points.sort()
        memory_axis.plot([p[0] for p in points], [p[1] / 1e9 for p in points], marker=".",
                         color=plt.cm.tab10((index + 3) % 10), label=f"{path} (model)")
    measured = {}
    for record in report["records"]:
        if record["mode"] == "fp32" and record.get("peak_extra_bytes") is not None:
            measured.setdefault(record["backend"], {})[record["n"]] = record["output_bytes"] + record["peak_extra_bytes"]
    for backend, points in sorted(measured.items()):
        n = sorted(points)
        memory_axis.scatter(n, [points[k] / 1e9 for k in n], s=60, facecolors="none",
                            edgecolors=colours.get(backend, "black"), linewidths=1.5, zorder=3,
                            label=f"{backend} (measured)")

    machine = report.get("machine", {})
    load = machine.get("load_before") or []
    figure.suptitle(f"relpos bench {report.get('date', '')}: {machine.get('cpu', '?')}, {machine.get('cores', '?')} "
                    f"cores, {machine.get('simd', '?')}; load {' '.join(f'{x:.2f}' for x in load)}")
    time_axis.set(title="median time (bars: min..max)", xlabel="N tokens", ylabel="ms", xscale="log", yscale="log")
    bandwidth_axis.set(title="achieved GB/s (black: same-run limit)", xlabel="N tokens", ylabel="GB/s",
                       xscale="log", yscale="log")
    ratio_axis.set(title="time / same-run limit (1 = at the limit)", xlabel="N tokens", ylabel="ratio",
                   xscale="log", yscale="log")
    ratio_axis.axhline(1.0, color="black", linewidth=0.8)
    memory_axis.set(title="peak memory, fp32 write (lines: model, circles: measured)", xlabel="N tokens",
                    ylabel="GB (1e9 bytes)", xscale="log", yscale="log")
    for axis in axes.flat:
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=6, ncol=2)
    figure.tight_layout()

    directory = os.path.dirname(os.path.abspath(out_path))
    handle, temporary = tempfile.mkstemp(prefix=".plot_bench-", suffix=".png", dir=directory)
    os.close(handle)
    try:
        figure.savefig(temporary, dpi=110)
        os.replace(temporary, out_path)
    except BaseException:
        os.unlink(temporary)
        raise


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="JSON written by `relpos bench --json`")
    parser.add_argument("-o", "--out", help="PNG to write (default: the report's name with .png)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    args = parser.parse_args()
    out = args.out or os.path.splitext(args.report)[0] + ".png"
    report = load_report(args.report)
    if os.path.exists(out) and not args.force:
        fail(f"{out}: already exists (refusing to overwrite; remove it or pass --force)")
    if not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        fail(f"{out}: its directory does not exist")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        fail("python3-matplotlib is not installed (apt-get install python3-matplotlib)")
    plot(report, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
