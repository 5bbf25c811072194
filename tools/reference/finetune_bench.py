"""The sense fine-tuning loop in PyTorch with autograd, timed per epoch (npm run bench's
fine-tuning row, tools/bench/finetune-phase.ts).

Reads a job written by the bench (token ids of the canonical examples and of the background,
the (token, sense) pairs our selection chose, the settings) and trains the same changes Δ on the
same pairs: NLL of each suffix plus klWeight × KL(p_orig ‖ p_edited) over every predicted
background position, Adam with a cosine schedule over all epochs, one full batch per epoch.
Generous to PyTorch: α and the base sense vectors do not depend on Δ, so they are computed once
(no_grad) and each step only re-adds Δ, recombines and backpropagates — as our loop does.

  python tools/reference/finetune_bench.py --checkpoint DIR --job job.json [--threads N]

Prints one JSON line: {"epochMs": [...], "threads": N, "torch": version, "objective": [...]}.
"""
import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backpack_reference import load_reference  # noqa: E402


def windows(n: int, p: int) -> list[tuple[int, int]]:
    out, start = [], 0
    while start + 1 < n:
        out.append((start, min(n, start + p)))
        start += p - 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--job", required=True)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    with open(args.job) as f:
        job = json.load(f)
    model = load_reference(args.checkpoint, torch.float32)
    cfg = model.cfg
    V, d = cfg.vocab_size, cfg.n_embd
    text_v = min(V, 50257)
    E = model.embedding  # (vocab, d)
    pairs = job["pairs"]
    m = len(pairs)
    onehot = torch.zeros(cfg.num_senses, m)  # (sense, pair): which sense each pair changes
    for i, p in enumerate(pairs):
        onehot[p["sense"], i] = 1.0

    def prepared(ids: list[int]):
        t = torch.tensor(ids, dtype=torch.long)
        with torch.no_grad():
            senses = model.sense_vectors(t)  # (sense, T, d)
            alpha = model.contextualization(model.gpt2_hidden(t))  # (sense, T, T)
        masks = torch.stack([(t == p["token"]).to(senses.dtype) for p in pairs])  # (m, T)
        return t, senses, alpha, masks

    def logits_of(prep, delta: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        t, senses, alpha, masks = prep
        s = senses + torch.einsum("km,mt,md->ktd", onehot, masks, delta)  # (sense, T, d)
        o = (alpha[:, rows, :] @ s).sum(0)  # (rows, d)
        return (o @ E.T)[:, :text_v]  # (rows, text vocab)

    examples = []
    for ex in job["examples"]:
        ids = ex["prefix"] + ex["suffix"]
        rows = torch.arange(len(ex["prefix"]) - 1, len(ids) - 1)
        examples.append((prepared(ids), rows, torch.tensor(ex["suffix"])))
    background = []
    bg_ids = job["background"]
    for start, end in windows(len(bg_ids), cfg.n_positions):
        w = bg_ids[start:end]
        prep = prepared(w)
        rows = torch.arange(0, len(w) - 1)
        with torch.no_grad():
            p0 = torch.log_softmax(logits_of(prep, torch.zeros(m, d), rows), -1)
        background.append((prep, rows, p0))
    positions = sum(len(r) for _, r, _ in background)

    delta = torch.zeros(m, d, requires_grad=True)
    opt = torch.optim.Adam([delta], lr=job["lr"])
    epochs = job["epochs"]
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.5 * (1 + math.cos(math.pi * step / epochs)))
    epoch_ms, objectives = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        opt.zero_grad()
        nll = torch.stack([-torch.log_softmax(logits_of(prep, delta, rows), -1).gather(1, y[:, None]).sum() for prep, rows, y in examples]).mean()
        kl = sum(torch.nn.functional.kl_div(torch.log_softmax(logits_of(prep, delta, rows), -1), p0, log_target=True, reduction="sum") for prep, rows, p0 in background) / positions
        objective = nll + job["klWeight"] * kl
        objective.backward()
        opt.step()
        sched.step()
        epoch_ms.append((time.perf_counter() - t0) * 1000)
        objectives.append(objective.item())
    print(json.dumps({"epochMs": epoch_ms, "threads": torch.get_num_threads(), "torch": torch.__version__, "objective": objectives}))


if __name__ == "__main__":
    main()
