#!/usr/bin/python3
"""A relpos candidate (docs/candidate-protocol.md) built on tools/relpos_reference.py:
AF3's relative position encoding in any scope of SPEC.md (variant, Boltz cyclic
offsets, fp32 / bf16 / bf16-autocast, the weight gradient when the case holds
/inputs/grad_output), as the original one-hot + F.linear or as the ordered lookup.

    torch_candidate.py [--form onehot|lookup] [--mutant NAME] [--strict-af3] [--broken]

--form      onehot (default): F.linear of the one-hot features, PyTorch's GEMM order
            (bf16-autocast under torch.autocast); lookup: ((t1 + t2) + t3) + t4.
--mutant    run with one deliberate bug of relpos_reference.MUTANTS, so that relpos
            must catch it; the "lookup" kind needs --form lookup.
--strict-af3  answer `error: outside scope ...` for every case that is not r_max 32,
            s_max 2, c_z 128, variant af3, cyclic none, precision fp32.
--broken    offsets column minus row (= --mutant column-minus-row).

A case with /inputs/grad_output also gets /expected/grad_weight: the gradient of
sum(output * G) by autograd of the fp32 forward (SPEC.md: the backward is fp32
only), whatever the case's forward precision.

A bad flag is one line on stderr and exit status 2.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_weights import missing_torch_or_h5py  # noqa: E402  (same directory)

MISSING = missing_torch_or_h5py("torch_candidate.py")
if MISSING:
    print(MISSING, file=sys.stderr)
    sys.exit(2)
import h5py  # noqa: E402
import torch  # noqa: E402
import relpos_reference as reference  # noqa: E402  (same directory)

STRICT_AF3 = {"r_max": 32, "s_max": 2, "c_z": 128, "variant": "af3", "cyclic": "none", "precision": "fp32"}


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr (exit 2), without the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_options(argv):
    """The flags, with --broken turned into its mutant; a bad combination is a one-line error."""
    parser = OneLineParser(prog="torch_candidate.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--form", choices=reference.FORMS, default="onehot")
    parser.add_argument("--mutant", choices=list(reference.MUTANTS), metavar="NAME")
    parser.add_argument("--strict-af3", action="store_true")
    parser.add_argument("--broken", action="store_true")
    options = parser.parse_args(argv)
    if options.broken:
        if options.mutant is not None:
            parser.error("--broken is --mutant column-minus-row; give one of them")
        options.mutant = "column-minus-row"
    if options.mutant is not None and reference.MUTANTS[options.mutant][0] == "lookup" and options.form != "lookup":
        parser.error(f"--mutant {options.mutant} lives in the lookup arithmetic; pass --form lookup")
    return options


def text(value):
    """An HDF5 string attribute: relpos writes fixed-length strings, which h5py returns as bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)


def read_case(file):
    """The case's configuration (dict) and tensors from an input file of the protocol."""
    attrs = file.attrs
    config = {"r_max": int(attrs["r_max"]), "s_max": int(attrs["s_max"]), "c_z": int(attrs["c_z"]),
              "variant": text(attrs["variant"]), "cyclic": text(attrs.get("cyclic", "none")),
              "precision": text(attrs["precision"])}
    tensors = {"ids": {field: torch.from_numpy(file["inputs/" + field][()]) for field in reference.FIELDS},
               "weight": torch.from_numpy(file["weights/linear_no_bias"][()])}
    for name in ("cyclic_period", "grad_output"):
        tensors[name] = torch.from_numpy(file["inputs/" + name][()]) if "inputs/" + name in file else None
    return config, tensors


def answer(input_path, output_path, options):
    """Compute one case and write its output file; the protocol's answer line."""
    with h5py.File(input_path, "r") as file:
        config, tensors = read_case(file)
    if options.strict_af3 and config != STRICT_AF3:
        differences = ", ".join(f"{key} {config[key]}" for key in STRICT_AF3 if config[key] != STRICT_AF3[key])
        return ("error: outside scope of --strict-af3 (r_max 32, s_max 2, c_z 128, af3, cyclic none, fp32): "
                + differences)
    if tensors["weight"].dim() != 2 or tensors["weight"].shape[0] != config["c_z"]:
        return f"error: c_z is {config['c_z']} but /weights/linear_no_bias has shape {list(tensors['weight'].shape)}"
    arguments = dict(ids=tensors["ids"], weight=tensors["weight"], r_max=config["r_max"], s_max=config["s_max"],
                     variant=config["variant"], cyclic=config["cyclic"], cyclic_period=tensors["cyclic_period"],
                     form=options.form, mutant=options.mutant)
    with torch.no_grad():
        output = reference.forward(precision=config["precision"], **arguments)
    grad_weight = None
    if tensors["grad_output"] is not None:
        grad_weight = reference.weight_gradient(grad_output=tensors["grad_output"], **arguments)
    with h5py.File(output_path, "w") as file:
        file.create_dataset("expected/output", data=output.numpy())
        if grad_weight is not None:
            file.create_dataset("expected/grad_weight", data=grad_weight.numpy())
    return "ok"


def main(argv):
    """Answer one line per case until the end of input; never more than one line per case on stdout."""
    options = parse_options(argv)
    torch.set_num_threads(1)
    for line in sys.stdin:
        try:
            input_path, output_path = line.split()
            reply = answer(input_path, output_path, options)
        except Exception as error:  # the protocol's one error line; the harness reports it
            reply = f"error: {type(error).__name__}: {error}"
        print(" ".join(reply.split()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
