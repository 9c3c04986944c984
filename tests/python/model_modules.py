"""Two relative position modules written the way the models write them (one-hot
features, a bias-free linear layer), standing in for a user's own code in the
README's one-line tests. Neither uses relpos or tools/relpos_reference.py."""
import torch
import torch.nn.functional as F
from torch import nn


class ProtenixStyleRelPE(nn.Module):
    """Protenix's RelativePositionEncoding: [..., N] feature dict in, [..., N, N, c_z] out."""

    def __init__(self, r_max=32, s_max=2, c_z=128):
        super().__init__()
        self.r_max, self.s_max = r_max, s_max
        self.linear_no_bias = nn.Linear(4 * r_max + 2 * s_max + 7, c_z, bias=False)

    def forward(self, feats):
        def pairwise(name, op):
            return op(feats[name][..., :, None], feats[name][..., None, :])

        same_chain = pairwise("asym_id", torch.eq)
        same_residue = pairwise("residue_index", torch.eq)
        same_entity = pairwise("entity_id", torch.eq)
        d_res = torch.clip(pairwise("residue_index", torch.sub) + self.r_max, 0, 2 * self.r_max)
        d_res = torch.where(same_chain, d_res, 2 * self.r_max + 1)
        d_tok = torch.clip(pairwise("token_index", torch.sub) + self.r_max, 0, 2 * self.r_max)
        d_tok = torch.where(same_chain & same_residue, d_tok, 2 * self.r_max + 1)
        d_chain = torch.clip(pairwise("sym_id", torch.sub) + self.s_max, 0, 2 * self.s_max)
        d_chain = torch.where(same_entity, d_chain, 2 * self.s_max + 1)  # AF3's code: the chain term keys on same_entity
        features = torch.cat([F.one_hot(d_res, 2 * self.r_max + 2), F.one_hot(d_tok, 2 * self.r_max + 2),
                              same_entity[..., None], F.one_hot(d_chain, 2 * self.s_max + 2)], dim=-1)
        return self.linear_no_bias(features.float())


class BoltzStyleRelPE(nn.Module):
    """Boltz-2's RelativePositionEncoder (fix_sym_check, cyclic_pos_enc): batched [B, N] feats only."""

    def __init__(self, token_z=128, r_max=32, s_max=2):
        super().__init__()
        self.r_max, self.s_max = r_max, s_max
        self.linear_layer = nn.Linear(4 * (r_max + 1) + 2 * (s_max + 1) + 1, token_z, bias=False)

    def forward(self, feats):
        b_same_chain = torch.eq(feats["asym_id"][:, :, None], feats["asym_id"][:, None, :])
        b_same_residue = torch.eq(feats["residue_index"][:, :, None], feats["residue_index"][:, None, :])
        b_same_entity = torch.eq(feats["entity_id"][:, :, None], feats["entity_id"][:, None, :])
        rel_pos = feats["residue_index"][:, :, None] - feats["residue_index"][:, None, :]
        if torch.any(feats["cyclic_period"] > 0):
            period = torch.where(feats["cyclic_period"] > 0, feats["cyclic_period"],
                                 torch.zeros_like(feats["cyclic_period"]) + 10000)
            rel_pos = (rel_pos - period[:, None, :] * torch.round(rel_pos / period[:, None, :])).long()
        d_residue = torch.clip(rel_pos + self.r_max, 0, 2 * self.r_max)
        d_residue = torch.where(b_same_chain, d_residue, torch.zeros_like(d_residue) + 2 * self.r_max + 1)
        a_rel_pos = F.one_hot(d_residue, 2 * self.r_max + 2)
        d_token = torch.clip(feats["token_index"][:, :, None] - feats["token_index"][:, None, :] + self.r_max, 0,
                             2 * self.r_max)
        d_token = torch.where(b_same_chain & b_same_residue, d_token, torch.zeros_like(d_token) + 2 * self.r_max + 1)
        a_rel_token = F.one_hot(d_token, 2 * self.r_max + 2)
        d_chain = torch.clip(feats["sym_id"][:, :, None] - feats["sym_id"][:, None, :] + self.s_max, 0,
                             2 * self.s_max)
        # fix_sym_check: the chain term keys on same_entity (without it, on NOT same_chain: the paper)
        d_chain = torch.where(~b_same_entity, torch.zeros_like(d_chain) + 2 * self.s_max + 1, d_chain)
        a_rel_chain = F.one_hot(d_chain, 2 * self.s_max + 2)
        p = self.linear_layer(torch.cat([a_rel_pos.float(), a_rel_token.float(), b_same_entity.unsqueeze(-1).float(),
                                         a_rel_chain.float()], dim=-1))
        return p
