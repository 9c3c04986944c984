#!/usr/bin/python3
"""PyTorch checkpoints written here with torch.save in each real layout go
through tools/export_weights.py and `relpos fixtures make` to fixtures that
`relpos verify` passes on every backend; safetensors files written here by
hand (F32, F16, BF16) and plain h5py weight files import exactly.

usage: export_weights_e2e.py RELPOS_BINARY SOURCE_DIR  (exit 77 = skipped: torch/h5py missing)
"""
import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile

from cli_checks import check, require, run, summary

h5py, np, torch = require(["h5py", "numpy", "torch"], "python3-torch python3-h5py")

RELPOS, SOURCE = sys.argv[1], sys.argv[2]
EXPORT = os.path.join(SOURCE, "tools", "export_weights.py")
TRUNK = "relative_position_encoding.linear_no_bias.weight"
DIFFUSION = "diffusion_module.diffusion_conditioning.relpe.linear_no_bias.weight"
BOLTZ = "rel_pos.linear_layer.weight"


def sha256(path):
    with open(path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def protenix_init(c_z, width, seed):
    """Protenix's LinearNoBias init: truncated normal, std = sqrt(1/F)/0.8796, cut at 2 std."""
    torch.manual_seed(seed)
    std = (1.0 / width) ** 0.5 / 0.87962566103423978
    return torch.nn.init.trunc_normal_(torch.empty(c_z, width), mean=0.0, std=std, a=-2 * std, b=2 * std)


def same_bits(a, b):
    return a.shape == b.shape and np.array_equal(np.asarray(a, np.float32).view(np.uint32),
                                                 np.asarray(b, np.float32).view(np.uint32))


def make_and_verify(weights, label, expect_weight, expect_key, work, layout="antibody_antigen", extra=()):
    """fixtures make + verify; the fixture must hold exactly `expect_weight`."""
    out = os.path.join(work, f"{label}_fixture.h5")
    code, stdout, stderr = run([RELPOS, "fixtures", "make", "--weights", weights, "--layout", layout, "--out", out,
                                *extra])
    check(code == 0, f"{label}: fixtures make failed ({code}):\n{stdout}{stderr}")
    if code != 0:
        return None
    code, stdout, stderr = run([RELPOS, "verify", out])
    check(code == 0 and stdout.count("PASS") == 3, f"{label}: verify must pass on 3 backends ({code}):\n{stdout}{stderr}")
    with h5py.File(out) as f:
        check(same_bits(f["weights/linear_no_bias"][...], expect_weight.float().numpy()),
              f"{label}: fixture weights differ from the checkpoint's (converted exactly)")
        key = f.attrs["weight_key"]
        key = key.decode() if isinstance(key, bytes) else key
        check(key == expect_key, f"{label}: weight_key {key!r}, expected {expect_key!r}")
        return dict((k, (v.decode() if isinstance(v, bytes) else v)) for k, v in f.attrs.items())


def export(checkpoint, out, *extra):
    return run(["/usr/bin/python3", EXPORT, checkpoint, "--out", out, *extra])


def safetensors_bytes(tensors, metadata=None):
    """An independent writer: 8-byte LE header length, JSON header, raw data."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, tensor) in tensors.items():
        data = tensor.contiguous().view(torch.int16 if tensor.element_size() == 2 else torch.int32).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def main():
    work = tempfile.mkdtemp(prefix="relpos-export-")
    try:
        weight = protenix_init(128, 139, 1)

        # 1. Protenix / PXDesign: {"model": state dict with DataParallel's "module." prefix}.
        protenix = os.path.join(work, "protenix.pt")
        torch.save({"model": {f"module.{TRUNK}": weight, f"module.{DIFFUSION}": protenix_init(128, 139, 2),
                              "module.input_embedder.linear.weight": torch.zeros(4, 4)},
                    "optimizer": {"state": {}}, "step": 1000}, protenix)
        code, out, err = export(protenix, os.path.join(work, "protenix.h5"))
        check(code == 0, f"export of the Protenix checkpoint failed ({code}): {err}")
        with h5py.File(os.path.join(work, "protenix.h5")) as f:
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            check(attrs["format"] == "relpos-weights" and attrs["key"] == f"module.{TRUNK}",
                  f"Protenix export attributes: {attrs}")
            check(attrs["container"] == "model", f"container should be 'model': {attrs}")
            check(attrs["source"] == "protenix.pt" and attrs["source_sha256"] == sha256(protenix),
                  f"provenance: {attrs}")
            check(attrs["source_dtype"] == "torch.float32" and list(attrs["source_shape"]) == [128, 139],
                  f"dtype/shape: {attrs}")
        made = make_and_verify(os.path.join(work, "protenix.h5"), "protenix", weight, f"module.{TRUNK}", work)
        if made:
            check(made["source_sha256"] == sha256(protenix), "fixture source_sha256 must be the checkpoint's")
            check("protenix.pt" in made["source"], f"fixture source should name the checkpoint: {made['source']}")

        # 2. The Protenix diffusion copy, stored in bf16, found when the trunk key is absent.
        diffusion_weight = protenix_init(128, 139, 3).to(torch.bfloat16)
        diffusion = os.path.join(work, "diffusion.pt")
        torch.save({"model": {f"module.{DIFFUSION}": diffusion_weight}}, diffusion)
        code, out, err = export(diffusion, os.path.join(work, "diffusion.h5"))
        check(code == 0, f"export of the diffusion checkpoint failed: {err}")
        make_and_verify(os.path.join(work, "diffusion.h5"), "diffusion", diffusion_weight, f"module.{DIFFUSION}", work,
                        layout="batch3", extra=("--precision", "bf16"))

        # 3. Boltz: a Lightning .ckpt {"state_dict": ..., "hyper_parameters": ...}.
        boltz_weight = protenix_init(128, 139, 4)
        boltz = os.path.join(work, "boltz.ckpt")
        torch.save({"state_dict": {BOLTZ: boltz_weight, "structure_module.weight": torch.ones(2, 2)},
                    "hyper_parameters": {"token_s": 384, "token_z": 128, "training_args": {"max_lr": 0.0018}},
                    "epoch": 12, "global_step": 345, "pytorch-lightning_version": "2.0.0"}, boltz)
        code, out, err = export(boltz, os.path.join(work, "boltz.h5"))
        if code != 0:
            # torch 1.13's weights_only unpickler refuses even the float hyper-parameter: one clear line.
            check(code == 2 and "--trust-pickle" in err and err.strip().count("\n") == 0,
                  f"a refused Lightning checkpoint should exit 2 with one line naming --trust-pickle: {err}")
            code, out, err = export(boltz, os.path.join(work, "boltz.h5"), "--trust-pickle")
        check(code == 0, f"export of the Boltz checkpoint failed: {err}")
        with h5py.File(os.path.join(work, "boltz.h5")) as f:
            check(f.attrs["container"] == "state_dict", "Boltz weight lives under state_dict")
        make_and_verify(os.path.join(work, "boltz.h5"), "boltz", boltz_weight, BOLTZ, work, layout="cropped_complex")

        # 4. A bare float16 state dict under a custom name: --key, and --r-max/--s-max recorded for an ambiguous F.
        custom_weight = protenix_init(16, 4 * 8 + 2 * 1 + 7, 5).to(torch.float16)
        custom = os.path.join(work, "custom.pt")
        torch.save({"pairformer.relpe.proj.weight": custom_weight}, custom)
        code, out, err = export(custom, os.path.join(work, "custom_nokey.h5"))
        check(code == 2 and "pairformer.relpe.proj.weight [16, 41]" in err,
              f"unknown layout: exit 2 listing the tensors, got {code}: {err}")
        code, out, err = export(custom, os.path.join(work, "custom.h5"), "--key", "pairformer.relpe.proj.weight",
                                "--r-max", "8", "--s-max", "1")
        check(code == 0, f"export with --key failed: {err}")
        made = make_and_verify(os.path.join(work, "custom.h5"), "custom", custom_weight,
                               "pairformer.relpe.proj.weight", work, layout="heteromer_ligand")
        if made:
            check(made["r_max"] == 8 and made["s_max"] == 1, f"recorded r_max/s_max: {made}")
        code, out, err = export(custom, os.path.join(work, "custom.h5"), "--key", "pairformer.relpe.proj.weight")
        check(code == 2 and "already exists" in err, f"refuses to overwrite without --force: {err}")
        code, out, err = export(custom, os.path.join(work, "x.h5"), "--key", "nope")
        check(code == 2 and "no tensor 'nope'" in err, f"missing --key: {err}")
        code, out, err = export(os.path.join(work, "absent.pt"), os.path.join(work, "x.h5"))
        check(code == 2 and "no such file" in err, f"missing checkpoint: {err}")
        code, out, err = run([RELPOS, "fixtures", "make", "--weights", protenix, "--layout", "monomer", "--out",
                              os.path.join(work, "x.h5")])
        check(code == 2 and "export_weights.py" in err, f"relpos refuses a pickle and names the exporter: {err}")

        # 5. safetensors written by hand: BF16, F16 and F32 import exactly.
        for dtype_name, dtype in (("BF16", torch.bfloat16), ("F16", torch.float16), ("F32", torch.float32)):
            tensor = protenix_init(32, 139, 6).to(dtype)
            path = os.path.join(work, f"w_{dtype_name}.safetensors")
            with open(path, "wb") as stream:
                stream.write(safetensors_bytes({TRUNK: (dtype_name, tensor)}, {"format": "pt"}))
            make_and_verify(path, f"safetensors_{dtype_name}", tensor, TRUNK, work, layout="protein_ligand")

        # 6. A plain h5py state-dict dump (float16, nested under model/), no relpos attributes.
        dump_weight = protenix_init(24, 139, 7).to(torch.float16)
        dump = os.path.join(work, "dump.h5")
        with h5py.File(dump, "w") as f:
            f[f"model/{BOLTZ}"] = dump_weight.numpy()
        make_and_verify(dump, "h5py_float16_dump", dump_weight, f"model/{BOLTZ}", work, layout="modified_residue")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary("export_weights end to end")


if __name__ == "__main__":
    sys.exit(main())
