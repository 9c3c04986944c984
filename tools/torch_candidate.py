#!/usr/bin/python3
"""A relpos candidate (docs/candidate-protocol.md): AF3's relative position encoding
as the original one-hot + F.linear in fp32. `--broken` computes offsets column minus
row, a bug `relpos prove --candidate-cmd` must catch and shrink."""
import sys
import h5py, torch
import torch.nn.functional as F

def text(value): return value.decode() if isinstance(value, bytes) else str(value)

def relpos(f, broken):
    ids = {k: torch.from_numpy(f["inputs/" + k][()]).long()
           for k in ("asym_id", "residue_index", "entity_id", "sym_id", "token_index")}
    r, s = int(f.attrs["r_max"]), int(f.attrs["s_max"])
    same = lambda k: ids[k][..., :, None] == ids[k][..., None, :]
    diff = lambda k: (ids[k][..., None, :] - ids[k][..., :, None]) if broken else (ids[k][..., :, None] - ids[k][..., None, :])
    same_chain, same_res, same_entity = same("asym_id"), same("residue_index"), same("entity_id")
    d_res = torch.where(same_chain, torch.clamp(diff("residue_index") + r, 0, 2 * r), 2 * r + 1)
    d_tok = torch.where(same_chain & same_res, torch.clamp(diff("token_index") + r, 0, 2 * r), 2 * r + 1)
    chain_term = same_entity if text(f.attrs["variant"]) == "af3" else ~same_chain
    d_chain = torch.where(chain_term, torch.clamp(diff("sym_id") + s, 0, 2 * s), 2 * s + 1)
    x = torch.cat([F.one_hot(d_res, 2 * r + 2), F.one_hot(d_tok, 2 * r + 2), same_entity[..., None],
                   F.one_hot(d_chain, 2 * s + 2)], dim=-1).float()
    out = F.linear(x, torch.from_numpy(f["weights/linear_no_bias"][()]))
    return out.bfloat16().float() if text(f.attrs["precision"]) == "bf16" else out

torch.set_num_threads(1)
for line in sys.stdin:
    try:
        input_path, output_path = line.split()
        with h5py.File(input_path, "r") as f, h5py.File(output_path, "w") as g:
            g["expected/output"] = relpos(f, "--broken" in sys.argv[1:]).numpy()
        print("ok", flush=True)
    except Exception as error:  # the protocol's one error line; the harness reports it
        print(f"error: {type(error).__name__}: {error}".replace("\n", " "), flush=True)
