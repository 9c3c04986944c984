#!/usr/bin/python3
"""Cases per second of the same PyTorch function proven two ways, side by side:
in process with relpos.prove, and over the candidate protocol with
`relpos prove --candidate-cmd "tools/torch_candidate.py --form lookup"`.

    tools/bench_python_prove.py BUILD_DIR [--cases K] [--repeats R] [--json OUT]

Both run the function of tools/relpos_reference.py (form "lookup": the ordered
four-term sum, told each case's config), with the same seed, cases per property,
scope (everything) and policy, no saved regression cases, torch on one thread.
The runs alternate (protocol, in-process, protocol, ...) so that the machine's
noise falls on both; the medians and their ratio are printed and, with --json,
written as one record. The protocol's rate includes the candidate's start-up
(importing torch), as a user's run does.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_options(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", help="the build folder (holds relpos and python/relpos)")
    parser.add_argument("--cases", type=int, default=100, help="cases per property (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each way (default 3)")
    parser.add_argument("--json", help="write the record here")
    return parser.parse_args(argv)


def protocol_run(build, cases):
    command = [os.path.join(build, "relpos"), "prove", "--candidate-cmd",
               f"/usr/bin/python3 {os.path.join(HERE, 'torch_candidate.py')} --form lookup", "--cases", str(cases),
               "--regressions", "none", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench_python_prove: the protocol run failed ({done.returncode}): {done.stderr[-2000:]}")
    return report_rate(json.loads(done.stdout))


def report_rate(report):
    cases = sum(p.get("cases", 0) for p in report["properties"])
    return {"cases": cases, "seconds": report["seconds"], "cases_per_second": cases / report["seconds"]}


def in_process_run(relpos, spec_lookup, cases):
    report = relpos.prove(spec_lookup, cases=cases, name="relpos_reference lookup")
    if not report.passed:
        sys.exit("bench_python_prove: the in-process run failed:\n" + report.text)
    return report_rate(json.loads(report.to_json()))


def main(argv):
    options = parse_options(argv)
    sys.path.insert(0, os.path.join(options.build, "python"))
    sys.path.insert(0, HERE)
    import relpos
    import torch
    import relpos_reference as reference
    torch.set_num_threads(1)

    def spec_lookup(feats, weight, config):
        ids = {name: feats[name] for name in reference.FIELDS}
        period = feats["cyclic_period"] if config.cyclic == "boltz" else None
        return reference.forward(ids, weight, config.r_max, config.s_max, config.variant, config.cyclic, period,
                                 config.precision, form="lookup")

    runs = {"protocol": [], "in_process": []}
    for repeat in range(options.repeats):
        for way, run in (("protocol", lambda: protocol_run(options.build, options.cases)),
                         ("in_process", lambda: in_process_run(relpos, spec_lookup, options.cases))):
            result = run()
            runs[way].append(result)
            print(f"run {repeat + 1} {way:>10}: {result['cases']} cases in {result['seconds']:.2f} s "
                  f"({result['cases_per_second']:.0f} cases/s)", flush=True)
    medians = {way: statistics.median(r["cases_per_second"] for r in results) for way, results in runs.items()}
    ratio = medians["in_process"] / medians["protocol"]
    print(f"median cases/s: protocol {medians['protocol']:.0f}, in process {medians['in_process']:.0f}: "
          f"{ratio:.1f}x")
    if options.json:
        record = {"benchmark": "python-prove", "date": time.strftime("%Y-%m-%d"), "machine": platform.node(),
                  "cpus": os.cpu_count(), "cases_per_property": options.cases, "function":
                  "tools/relpos_reference.py forward(form='lookup'), torch 1 thread", "runs": runs,
                  "median_cases_per_second": medians, "in_process_over_protocol": ratio}
        temporary = options.json + ".tmp"
        with open(temporary, "w") as file:
            json.dump(record, file, indent=2)
            file.write("\n")
        os.replace(temporary, options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
