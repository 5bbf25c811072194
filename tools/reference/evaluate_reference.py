"""Per-token log-probs of documents by the reference model: the golden of corpus evaluation.

  tools/.venv/bin/python tools/reference/evaluate_reference.py --checkpoint DIR --input IN.json \
      --out OUT.json [--edits edits.json] [--dtype float64|float32]

IN.json: {"documents": [{"name": …, "ids": [token ids…]}, …]} (ids as the GPT-2 tokenizer gives
them). Each document is scored on its own, written here independently of the TypeScript code:
windows of at most n_positions tokens overlapping by one token (starts 0, n−1, 2(n−1), …), each
window's first token context only, so every token but the document's first is predicted once;
log p is the log-softmax over the 50257 real tokens (padding ids masked), natural log.
OUT.json: {"window": n_positions, "documents": [{"name", "tokens", "logProbs": [float64…]}]}.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backpack_reference import load_reference  # noqa: E402
from sense_edits import apply_edits  # noqa: E402

TEXT_VOCAB = 50257


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--edits", help="a backpack-sense-edits v1 JSON file (token refs as ids)")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    args = ap.parse_args()
    model = load_reference(args.checkpoint, torch.float64 if args.dtype == "float64" else torch.float32)
    edits = json.load(open(args.edits)) if args.edits else None
    n = model.cfg.n_positions
    docs = json.load(open(args.input))["documents"]
    out = []
    for doc in docs:
        ids = doc["ids"]
        lps: list[float] = []
        start = 0
        while start + 1 < len(ids):
            window = ids[start:start + n]
            res = apply_edits(model, window, edits) if edits else model.forward(window)
            logits = res["logits"].double()[:, :TEXT_VOCAB]  # (pos, text vocab)
            lp = torch.log_softmax(logits, dim=-1)
            lps += [float(lp[t - 1, window[t]]) if window[t] < TEXT_VOCAB else float("-inf") for t in range(1, len(window))]
            start += n - 1
        out.append({"name": doc["name"], "tokens": len(ids), "logProbs": lps})
    with open(args.out, "w") as f:
        json.dump({"window": n, "dtype": args.dtype, "edits": edits is not None, "documents": out}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
