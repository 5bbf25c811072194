"""Runs the reference forward pass on token ids and writes the CLI `forward` layout.

  tools/.venv/bin/python tools/reference/run_reference.py --checkpoint DIR --ids 1,2,3 --out OUTDIR \
      [--edits edits.json] [--dtype float32|float64]

Writes OUTDIR/logits.npy (pos, vocab), senses.npy (sense, pos, d_model), contextualization.npy
(sense, pos, pos) — float32 little-endian whatever --dtype computed them in — and ids.json.
With --edits the outputs are the edited ones (senses after the sense edits, logits recombined).
Prints a JSON summary (shapes, dtype, seconds) to stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backpack_reference import load_reference  # noqa: E402
from sense_edits import apply_edits  # noqa: E402


def parse_ids(text: str) -> list[int]:
    try:
        ids = [int(t) for t in text.split(",") if t.strip() != ""]
    except ValueError as e:
        raise SystemExit(f"--ids must be comma-separated integers, got {text!r}") from e
    if not ids:
        raise SystemExit("--ids is empty")
    return ids


def save_npy(path: str, t: torch.Tensor) -> None:
    np.save(path, np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--ids", required=True, help="comma-separated token ids")
    ap.add_argument("--out", required=True)
    ap.add_argument("--edits", help="a backpack-sense-edits v1 JSON file (token refs as ids)")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch default)")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    ids = parse_ids(args.ids)
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    t0 = time.perf_counter()
    model = load_reference(args.checkpoint, dtype)
    t1 = time.perf_counter()
    if args.edits:
        with open(args.edits) as f:
            out = apply_edits(model, ids, json.load(f))
    else:
        out = model.forward(ids)
    t2 = time.perf_counter()

    os.makedirs(args.out, exist_ok=True)
    for name in ("logits", "senses", "contextualization"):
        save_npy(os.path.join(args.out, f"{name}.npy"), out[name])
    with open(os.path.join(args.out, "ids.json"), "w") as f:
        json.dump(ids, f)
        f.write("\n")
    print(json.dumps({
        "checkpoint": args.checkpoint,
        "dtype": args.dtype,
        "edits": args.edits,
        "shapes": {k: list(v.shape) for k, v in out.items()},
        "seconds": {"load": round(t1 - t0, 4), "forward": round(t2 - t1, 4)},
    }))


if __name__ == "__main__":
    main()
