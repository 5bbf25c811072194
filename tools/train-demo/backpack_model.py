"""Backpack-GPT2 exactly as backpack-spec.md §3 (the HF remote code's forward pass), sized by a
config dict with the HF keys. Used by train.py, export.py and evaluate.py.

The token embedding `wte` may hold any number of rows: the full 50264-row vocabulary (export,
evaluation) or a compact training vocabulary (the ids seen in training plus one shared row for
every never-seen id, see train.py). `logit_offset` (optional, one value per row) is added to the
logits; the compact training model uses it to stand for the many identical never-seen rows.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    # tanh-approximate GELU (GPT-2's "gelu_new")
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """HF GPT-2 Conv1D: weight [in, out], y = x·W + b."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).reshape(*x.shape[:-1], -1)


class MLP(nn.Module):
    def __init__(self, d_in: int, hidden: int, d_out: int):
        super().__init__()
        self.c_fc = Conv1D(d_in, hidden)
        self.c_proj = Conv1D(hidden, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(gelu_new(self.c_fc(x)))


class Attention(nn.Module):
    def __init__(self, d: int, n_head: int, layer_idx: int, inverse_layer_scale: bool):
        super().__init__()
        self.n_head = n_head
        self.c_attn = Conv1D(d, 3 * d)
        self.c_proj = Conv1D(d, d)
        head_dim = d // n_head
        # scores / (√head_dim · (layer_idx + 1)) with scale_attn_by_inverse_layer_idx (spec §3.2)
        self.scale = 1.0 / (math.sqrt(head_dim) * ((layer_idx + 1) if inverse_layer_scale else 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        # (batch, head, pos, head_dim), head-major split of each 768-block
        q, k, v = (z.view(b, t, self.n_head, d // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=self.scale)
        return self.c_proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    """Pre-LN GPT-2 block."""

    def __init__(self, cfg: dict, layer_idx: int):
        super().__init__()
        d = cfg["n_embd"]
        eps = cfg["layer_norm_epsilon"]
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.attn = Attention(d, cfg["n_head"], layer_idx, cfg["scale_attn_by_inverse_layer_idx"])
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.mlp = MLP(d, cfg.get("n_inner") or 4 * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class NoMixBlock(nn.Module):
    """The sense network's block: residual, LN, MLP, residual, LN (spec §3.1 steps 3–6)."""

    def __init__(self, d: int, eps: float):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.mlp = MLP(d, 4 * d, d)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        r = x + residual
        r = r + self.mlp(self.ln_1(r))
        return self.ln_2(r)


class SenseNetwork(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        d = cfg["n_embd"]
        self.k = cfg["num_senses"]
        self.ln = nn.LayerNorm(d, eps=cfg["layer_norm_epsilon"])
        self.block = NoMixBlock(d, cfg["layer_norm_epsilon"])
        self.final_mlp = MLP(d, cfg["sense_intermediate_scale"] * d, self.k * d)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        """e: (..., d) raw word embeddings → (..., sense, d)."""
        g = self.block(self.ln(e), e)  # LN first, then residual from the raw embedding
        c = self.final_mlp(g)
        return c.view(*e.shape[:-1], self.k, e.shape[-1])


class Backpack(nn.Module):
    def __init__(self, cfg: dict, n_rows: int, sense_qk_init_std: float = 0.117):
        super().__init__()
        self.cfg = cfg
        d = cfg["n_embd"]
        self.k = cfg["num_senses"]
        self.wte = nn.Embedding(n_rows, d)  # E, tied with the LM head
        self.wpe = nn.Embedding(cfg["n_positions"], d)
        self.h = nn.ModuleList([Block(cfg, i) for i in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(d, eps=cfg["layer_norm_epsilon"])
        self.sense_network = SenseNetwork(cfg)
        self.sense_weight_net = nn.Linear(d, 2 * d)  # nn.Linear layout [out, in]
        self.register_buffer("logit_offset", None, persistent=False)
        self.bf16_head = False
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01)
        # Sense weight net: query and key halves start EQUAL, so q_i·κ_i = |q_i|² > 0 and α starts out
        # favouring the current token (≈ e^5 over an unrelated position at std 0.117, d/k = 8) instead of
        # a uniform average over the window, which otherwise keeps a tiny model at the unigram plateau.
        nn.init.normal_(self.sense_weight_net.weight[:d], std=sense_qk_init_std)
        with torch.no_grad():
            self.sense_weight_net.weight[d:] = self.sense_weight_net.weight[:d]
        nn.init.zeros_(self.sense_weight_net.bias)
        for blk in self.h:  # GPT-2 residual-projection init
            for p in (blk.attn.c_proj.weight, blk.mlp.c_proj.weight):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg["n_layer"]))

    def senses(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (batch, pos) → C(x): (batch, sense, pos, d). Computed once per distinct id."""
        uniq, inv = torch.unique(ids, return_inverse=True)
        c = self.sense_network(self.wte(uniq))  # (n_uniq, sense, d)
        return c[inv].permute(0, 2, 1, 3)  # (batch, sense, pos, d)

    def contextual_hidden(self, ids: torch.Tensor) -> torch.Tensor:
        b, t = ids.shape
        x = self.wte(ids) + self.wpe(torch.arange(t, device=ids.device))[None]
        for blk in self.h:
            x = blk(x)
        return self.ln_f(x)  # (batch, pos, d)

    def alpha_qk(self, hidden: torch.Tensor):
        b, t, d = hidden.shape
        z = self.sense_weight_net(hidden).view(b, t, 2, self.k, d // self.k)
        q = z[:, :, 0].transpose(1, 2)  # (batch, sense, pos, d/k)
        kk = z[:, :, 1].transpose(1, 2)
        return q, kk

    def contextualization(self, ids: torch.Tensor) -> torch.Tensor:
        """α: (batch, sense, pos, pos), additive −10000 causal mask as HF does."""
        q, kk = self.alpha_qk(self.contextual_hidden(ids))
        t = ids.shape[1]
        s = q @ kk.transpose(-1, -2) / math.sqrt(q.shape[-1])
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool, device=ids.device), diagonal=1)
        s = s + mask.to(s.dtype) * -10000.0
        return torch.softmax(s, dim=-1)

    def logits_from_output(self, o: torch.Tensor) -> torch.Tensor:
        if self.training and self.bf16_head:
            # training only: the (tokens × rows) head matmuls dominate the CPU cost; bf16 is ~3× faster
            logits = (o.bfloat16() @ self.wte.weight.bfloat16().T).float()
        else:
            logits = o @ self.wte.weight.T  # (…, rows), tied LM head, no bias
        if self.logit_offset is not None:
            logits = logits + self.logit_offset
        return logits

    def forward(self, ids: torch.Tensor, sense_scale: torch.Tensor | None = None, fused: bool = False, hidden_only: bool = False):
        """ids (batch, pos) → logits (batch, pos, rows), or o (batch, pos, d) with hidden_only.
        sense_scale (batch, sense, pos) multiplies C."""
        senses = self.senses(ids)  # (batch, sense, pos, d)
        if sense_scale is not None:
            senses = senses * sense_scale[..., None]
        if fused:  # training: α never materialised; Σ_ℓ α^ℓ C_ℓ as attention with value = C_ℓ
            q, kk = self.alpha_qk(self.contextual_hidden(ids))
            o = F.scaled_dot_product_attention(q, kk, senses, is_causal=True).sum(dim=1)
        else:
            alpha = self.contextualization(ids)
            o = (alpha @ senses).sum(dim=1)  # (batch, pos, d): no 1/k, no final LN
        return o if hidden_only else self.logits_from_output(o)


def hf_config(n_embd: int, n_layer: int, n_head: int, num_senses: int, sense_scale: int, n_positions: int = 512) -> dict:
    """config.json with every key of backpack-spec.md §1.1, at the given sizes."""
    return {
        "activation_function": "gelu_new",
        "architectures": ["BackpackGPT2LMHeadModel"],
        "attn_pdrop": 0.0,
        "auto_map": {
            "AutoConfig": "configuration_backpack_gpt2.BackpackGPT2Config",
            "AutoModelForCausalLM": "modeling_backpack_gpt2.BackpackGPT2LMHeadModel",
        },
        "bos_token_id": 50256,
        "embd_pdrop": 0.0,
        "eos_token_id": 50256,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2",
        "n_embd": n_embd,
        "n_head": n_head,
        "n_inner": None,
        "n_layer": n_layer,
        "n_positions": n_positions,
        "num_senses": num_senses,
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.0,
        "scale_attn_by_inverse_layer_idx": True,
        "scale_attn_weights": True,
        "sense_intermediate_scale": sense_scale,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "torch_dtype": "float16",
        "transformers_version": "4.29.0.dev0",
        "use_cache": True,
        "vocab_size": 50264,
    }
