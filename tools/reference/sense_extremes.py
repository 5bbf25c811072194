"""Whole-vocabulary score extremes of every sense: max_v and min_v of (E·C(x)_ℓ)_v for every token x
and sense ℓ (backpack-spec.md §4.3 step 1 divides by the signed max), from the reference
implementation, in float64 by default.

  tools/.venv/bin/python tools/reference/sense_extremes.py --checkpoint DIR --out FILE.npz \
      [--device cpu|cuda] [--dtype float64|float32] [--tokens N] [--batch B]

Writes an .npz with `max` and `min` (vocab, sense) float64 arrays (rows ≥ --tokens are NaN) and
`weights_sha256` (sha256 of the float32 bytes of E and of every sense-network tensor, in key
order), so a result computed on another machine from a regenerated checkpoint can be matched to
the same weights. The extremes run over all vocab rows of E, padding ids included, as the
engine's sense table does. On a CUDA GPU the full-size model takes seconds; on a 2-core CPU use
--tokens to check a prefix.
"""
from __future__ import annotations

import argparse
import hashlib
import time

import numpy as np
import torch

from backpack_reference import load_reference


def weights_sha256(model) -> str:
    h = hashlib.sha256()
    for key in sorted(k for k in model.w if k.startswith("backpack.sense_network.") or k == "backpack.gpt2_model.wte.weight"):
        h.update(key.encode())
        h.update(model.w[key].to(torch.float32).contiguous().cpu().numpy().tobytes())
    return h.hexdigest()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    p.add_argument("--tokens", type=int, default=None, help="only tokens 0..N-1 (default: the whole vocabulary)")
    p.add_argument("--batch", type=int, default=128, help="tokens per batch (float64 scores: batch·sense·vocab·8 bytes)")
    a = p.parse_args()
    dtype = torch.float64 if a.dtype == "float64" else torch.float32
    model = load_reference(a.checkpoint, dtype)
    sha = weights_sha256(model)
    dev = torch.device(a.device)
    model.w = {k: v.to(dev) for k, v in model.w.items()}
    V, k = model.cfg.vocab_size, model.cfg.num_senses
    n = V if a.tokens is None else min(a.tokens, V)
    E = model.embedding  # (vocab, d)
    mx = torch.full((V, k), float("nan"), dtype=torch.float64)
    mn = torch.full((V, k), float("nan"), dtype=torch.float64)
    t0 = time.perf_counter()
    with torch.no_grad():
        for start in range(0, n, a.batch):
            ids = torch.arange(start, min(start + a.batch, n), device=dev)
            c = model.sense_vectors(ids)  # (sense, b, d)
            scores = torch.einsum("kbd,vd->kbv", c, E)  # (sense, b, vocab)
            mx[start : start + len(ids)] = scores.amax(-1).T.to("cpu", torch.float64)
            mn[start : start + len(ids)] = scores.amin(-1).T.to("cpu", torch.float64)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    np.savez(a.out, max=mx.numpy(), min=mn.numpy(), weights_sha256=np.array(sha), tokens=np.array(n), seconds=np.array(seconds))
    print(f"{n} tokens × {k} senses on {dev} ({a.dtype}) in {seconds:.1f} s; weights sha256 {sha}")


if __name__ == "__main__":
    main()
