"""Independent PyTorch reference of the Backpack-GPT2 forward pass (HF `stanfordnlp/backpack-gpt2`).

Written from /work/shared/backpack-spec.md §3 (Hewitt et al., "Backpack Language Models", ACL 2023),
not from the HF code. It is plain tensor algebra so every step can be checked against the spec:

  senses      C(x_t)_l    (sense, pos, d_model)   §3.1 sense network, word embedding only
  hidden      H           (pos, d_model)          §3.2 GPT-2 with the 1/(layer+1) attention scale
  alpha       α^l_{ij}    (sense, pos, pos)       §3.3 weight net, additive -10000 causal mask
  logits      E·Σ_l Σ_j α^l_{ij} C(x_j)_l  (pos, vocab)   §3.4 no 1/k, no final LN, tied head

Used only by developer tooling (fixtures, goldens, benchmarks); the app never needs Python.
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass

import torch

# GPT-2 mask buffers saved by transformers 4.29 (spec §2.3). Anchored: `c_attn.bias` is a weight.
BUFFER_KEY = re.compile(r"\.attn\.(bias|masked_bias)$")

TIED_EMBEDDING_KEYS = ("backpack.gpt2_model.wte.weight", "backpack.word_embeddings.weight", "lm_head.weight")
TIED_POSITION_KEYS = ("backpack.gpt2_model.wpe.weight", "backpack.position_embeddings.weight")


@dataclass
class BackpackConfig:
    vocab_size: int
    n_embd: int
    n_head: int
    n_layer: int
    n_positions: int
    n_inner: int
    num_senses: int
    sense_intermediate_scale: int
    layer_norm_epsilon: float
    scale_attn_weights: bool
    scale_attn_by_inverse_layer_idx: bool
    # factor on the sense sum: 1 for HF Backpack-GPT2, 1/num_senses for Levanter exports
    # (model_type "backpack-gpt2", same weight names)
    sense_sum_scale: float = 1.0

    @staticmethod
    def from_json(raw: dict) -> "BackpackConfig":
        required = ("vocab_size", "n_embd", "n_head", "n_layer", "n_positions", "num_senses")
        missing = [k for k in required if k not in raw]
        if missing:
            raise ValueError(f"config.json lacks {missing}; a Backpack-GPT2 config needs {list(required)}")
        d = int(raw["n_embd"])
        k = int(raw["num_senses"])
        return BackpackConfig(
            vocab_size=int(raw["vocab_size"]),
            n_embd=d,
            n_head=int(raw["n_head"]),
            n_layer=int(raw["n_layer"]),
            n_positions=int(raw["n_positions"]),
            n_inner=int(raw["n_inner"]) if raw.get("n_inner") is not None else 4 * d,
            num_senses=int(raw["num_senses"]),
            sense_intermediate_scale=int(raw.get("sense_intermediate_scale", 4)),
            layer_norm_epsilon=float(raw.get("layer_norm_epsilon", 1e-5)),
            scale_attn_weights=bool(raw.get("scale_attn_weights", True)),
            scale_attn_by_inverse_layer_idx=bool(raw.get("scale_attn_by_inverse_layer_idx", True)),
            sense_sum_scale=1.0 / k if raw.get("model_type") == "backpack-gpt2" else 1.0,
        )


def expected_shapes(cfg: BackpackConfig) -> dict[str, tuple[int, ...]]:
    """The 167 state-dict keys of spec §2.2 with their shapes (mask buffers excluded)."""
    d, V, P, k = cfg.n_embd, cfg.vocab_size, cfg.n_positions, cfg.num_senses
    inner, sense_inner = cfg.n_inner, cfg.sense_intermediate_scale * d
    shapes: dict[str, tuple[int, ...]] = {
        "backpack.gpt2_model.wte.weight": (V, d),
        "backpack.gpt2_model.wpe.weight": (P, d),
    }
    for i in range(cfg.n_layer):
        p = f"backpack.gpt2_model.h.{i}."
        shapes.update({
            p + "ln_1.weight": (d,), p + "ln_1.bias": (d,),
            p + "attn.c_attn.weight": (d, 3 * d), p + "attn.c_attn.bias": (3 * d,),
            p + "attn.c_proj.weight": (d, d), p + "attn.c_proj.bias": (d,),
            p + "ln_2.weight": (d,), p + "ln_2.bias": (d,),
            p + "mlp.c_fc.weight": (d, inner), p + "mlp.c_fc.bias": (inner,),
            p + "mlp.c_proj.weight": (inner, d), p + "mlp.c_proj.bias": (d,),
        })
    s = "backpack.sense_network."
    shapes.update({
        "backpack.gpt2_model.ln_f.weight": (d,), "backpack.gpt2_model.ln_f.bias": (d,),
        s + "block.ln_1.weight": (d,), s + "block.ln_1.bias": (d,),
        s + "block.ln_2.weight": (d,), s + "block.ln_2.bias": (d,),
        s + "block.mlp.c_fc.weight": (d, 4 * d), s + "block.mlp.c_fc.bias": (4 * d,),
        s + "block.mlp.c_proj.weight": (4 * d, d), s + "block.mlp.c_proj.bias": (d,),
        s + "ln.weight": (d,), s + "ln.bias": (d,),
        s + "final_mlp.c_fc.weight": (d, sense_inner), s + "final_mlp.c_fc.bias": (sense_inner,),
        s + "final_mlp.c_proj.weight": (sense_inner, k * d), s + "final_mlp.c_proj.bias": (k * d,),
        "backpack.word_embeddings.weight": (V, d),
        "backpack.position_embeddings.weight": (P, d),
        "backpack.sense_weight_net.c_attn.weight": (2 * d, d),
        "backpack.sense_weight_net.c_attn.bias": (2 * d,),
        "lm_head.weight": (V, d),
    })
    return shapes


def read_state_dict(checkpoint_dir: str) -> dict[str, torch.Tensor]:
    """Reads pytorch_model.bin (zip or legacy), model.safetensors, or their sharded index forms."""
    def path(name: str) -> str:
        return os.path.join(checkpoint_dir, name)

    def load_bin(name: str) -> dict[str, torch.Tensor]:
        return torch.load(path(name), map_location="cpu", weights_only=True)

    def load_st(name: str) -> dict[str, torch.Tensor]:
        from safetensors.torch import load_file
        return load_file(path(name))

    for index_name, loader in (("model.safetensors.index.json", load_st), ("pytorch_model.bin.index.json", load_bin)):
        if os.path.exists(path(index_name)):
            with open(path(index_name)) as f:
                weight_map: dict[str, str] = json.load(f)["weight_map"]
            sd: dict[str, torch.Tensor] = {}
            for shard in sorted(set(weight_map.values())):
                sd.update(loader(shard))
            return sd
    if os.path.exists(path("model.safetensors")):
        return load_st("model.safetensors")
    if os.path.exists(path("pytorch_model.bin")):
        return load_bin("pytorch_model.bin")
    raise FileNotFoundError(f"{checkpoint_dir}: no model.safetensors, pytorch_model.bin or sharded index")


class BackpackReference:
    """The Backpack forward pass over a loaded state dict, in float32 or float64, batch dropped."""

    def __init__(self, cfg: BackpackConfig, sd: dict[str, torch.Tensor], dtype: torch.dtype = torch.float32):
        self.cfg = cfg
        self.dtype = dtype
        sd = {k: v for k, v in sd.items() if not BUFFER_KEY.search(k)}
        # Safetensors (HF converter) keeps one alias of each tied set: restore the others.
        for group in (TIED_EMBEDDING_KEYS, TIED_POSITION_KEYS):
            present = [k for k in group if k in sd]
            if not present:
                raise KeyError(f"none of the tied keys {group} is in the checkpoint")
            for k in group:
                sd.setdefault(k, sd[present[0]])
        shapes = expected_shapes(cfg)
        for key, shape in shapes.items():
            if key not in sd:
                raise KeyError(f"tensor {key!r} missing from the checkpoint")
            if tuple(sd[key].shape) != shape:
                raise ValueError(f"tensor {key!r} has shape {list(sd[key].shape)}, expected {list(shape)}")
        extra = sorted(set(sd) - set(shapes))
        if extra:
            raise KeyError(f"unexpected tensors {extra[:5]} in the checkpoint")
        self.w = {k: sd[k].to(dtype) for k in shapes}

    # ---- building blocks -------------------------------------------------------------------
    @staticmethod
    def gelu_new(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))

    def ln(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.cfg.layer_norm_epsilon) * self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def conv1d(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        # HF Conv1D: weight [in, out], y = x·W + b
        return x @ self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def mlp(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        return self.conv1d(self.gelu_new(self.conv1d(x, prefix + ".c_fc")), prefix + ".c_proj")

    @property
    def embedding(self) -> torch.Tensor:
        return self.w["backpack.gpt2_model.wte.weight"]  # (vocab, d_model), tied E

    # ---- §3.1 sense network --------------------------------------------------------------
    def sense_vectors(self, ids: torch.Tensor) -> torch.Tensor:
        """C(x) for token ids (n,) → (sense, n, d_model); no position information."""
        s = "backpack.sense_network."
        e = self.embedding[ids]  # (n, d)
        r = e + self.ln(e, s + "ln")
        r = r + self.mlp(self.ln(r, s + "block.ln_1"), s + "block.mlp")
        c = self.mlp(self.ln(r, s + "block.ln_2"), s + "final_mlp")  # (n, k·d)
        n, k, d = ids.shape[0], self.cfg.num_senses, self.cfg.n_embd
        c = c * self.cfg.sense_sum_scale  # Levanter divides the sense sum by k: C as the sum uses it
        return c.reshape(n, k, d).transpose(0, 1).contiguous()  # (sense, n, d)

    # ---- §3.2 contextualization network (GPT-2) ------------------------------------------
    def gpt2_hidden(self, ids: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        T, d, H = ids.shape[0], cfg.n_embd, cfg.n_head
        hd = d // H
        h = self.embedding[ids] + self.w["backpack.gpt2_model.wpe.weight"][:T]  # (pos, d)
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        for layer in range(cfg.n_layer):
            p = f"backpack.gpt2_model.h.{layer}."
            qkv = self.conv1d(self.ln(h, p + "ln_1"), p + "attn.c_attn")  # (pos, 3d)
            q, k, v = (t.reshape(T, H, hd).transpose(0, 1) for t in qkv.split(d, dim=-1))  # (head, pos, hd)
            scores = q @ k.transpose(-1, -2)  # (head, pos, pos)
            if cfg.scale_attn_weights:
                scores = scores / math.sqrt(hd)
            if cfg.scale_attn_by_inverse_layer_idx:
                scores = scores / float(layer + 1)
            scores = torch.where(causal, scores, torch.tensor(torch.finfo(scores.dtype).min, dtype=scores.dtype))
            att = torch.softmax(scores, dim=-1) @ v  # (head, pos, hd)
            h = h + self.conv1d(att.transpose(0, 1).reshape(T, d), p + "attn.c_proj")
            h = h + self.mlp(self.ln(h, p + "ln_2"), p + "mlp")
        return self.ln(h, "backpack.gpt2_model.ln_f")  # (pos, d)

    # ---- §3.3 sense weight network -------------------------------------------------------
    def contextualization(self, hidden: torch.Tensor) -> torch.Tensor:
        """α (sense, pos, pos) from the GPT-2 output H (pos, d)."""
        T, d, k = hidden.shape[0], self.cfg.n_embd, self.cfg.num_senses
        hd = d // k
        z = hidden @ self.w["backpack.sense_weight_net.c_attn.weight"].T + self.w["backpack.sense_weight_net.c_attn.bias"]
        q, kk = z[:, :d], z[:, d:]  # (pos, d) each
        q = q.reshape(T, k, hd).transpose(0, 1)  # (sense, pos, hd)
        kk = kk.reshape(T, k, hd).transpose(0, 1)
        scores = (q @ kk.transpose(-1, -2)) / math.sqrt(hd)  # (sense, pos, pos)
        scores = scores + torch.triu(torch.full((T, T), -10000.0, dtype=scores.dtype), 1)  # additive M_ij
        return torch.softmax(scores, dim=-1)

    # ---- §3.4 combination and LM head ----------------------------------------------------
    def combine(self, senses: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        """senses (sense, pos, d), alpha (sense, n_query, pos) → logits (n_query, vocab).

        HF: o = Σ_ℓ Σ_j α·C (no 1/k, no final LN). Levanter: o = (1/k)·Σ_ℓ Σ_j α·C; here the factor
        is carried by the sense vectors (sense_vectors scales them), so this sum is the same code.
        """
        o = (alpha @ senses).sum(0)  # (n_query, d)
        return o @ self.embedding.T

    def forward(self, ids: list[int]) -> dict[str, torch.Tensor]:
        if not ids:
            raise ValueError("ids must be non-empty")
        if len(ids) > self.cfg.n_positions:
            raise ValueError(f"{len(ids)} tokens exceed n_positions={self.cfg.n_positions}")
        bad = [i for i in ids if not 0 <= i < self.cfg.vocab_size]
        if bad:
            raise ValueError(f"token ids {bad[:5]} outside [0, {self.cfg.vocab_size})")
        t = torch.tensor(ids, dtype=torch.long)
        with torch.no_grad():
            senses = self.sense_vectors(t)
            alpha = self.contextualization(self.gpt2_hidden(t))
            logits = self.combine(senses, alpha)
        return {"logits": logits, "senses": senses, "contextualization": alpha}


def load_reference(checkpoint_dir: str, dtype: torch.dtype = torch.float32) -> BackpackReference:
    with open(os.path.join(checkpoint_dir, "config.json")) as f:
        cfg = BackpackConfig.from_json(json.load(f))
    return BackpackReference(cfg, read_state_dict(checkpoint_dir), dtype)
