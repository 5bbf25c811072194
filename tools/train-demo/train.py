"""Trains the demo Backpack (backpack-spec.md §3) on the tokenized WordNet corpus.

Usage:
  tools/.venv/bin/python tools/train-demo/train.py --data /work/demo-run/corpus --run /work/demo-run/run1

Restricted output vocabulary, exact over the full vocabulary: every id never seen in the training
split shares ONE embedding row u (input and tied output). The logits over the 50264 ids are then
[E_seen·o, u·o repeated N_unseen times], so the full-vocabulary softmax equals a softmax over
S+1 classes where the last class has logit u·o + log(N_unseen). Training optimises exactly the
full-vocabulary likelihood at the cost of S+1 output rows; export.py writes u into every
never-seen row, so the shipped checkpoint is an ordinary 50264-row model with the same outputs.

Seeded (the batch of step n depends only on --seed and n), checkpoints every --ckpt-every-s
seconds to RUN/last.pt, keeps the best validation checkpoint in RUN/best.pt, resumes from
RUN/last.pt when it exists. SIGTERM/SIGINT or --stop-at HH:MM (UTC) save and exit cleanly.
"""
import argparse
import json
import math
import os
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backpack_model import Backpack, hf_config  # noqa: E402

FULL_VOCAB = 50264


def build_vocab(train_ids: np.ndarray):
    seen = np.unique(train_ids).astype(np.int64)  # sorted ids present in the training split
    to_compact = np.full(FULL_VOCAB, len(seen), dtype=np.int64)  # never-seen ids → shared row
    to_compact[seen] = np.arange(len(seen))
    return seen, to_compact


def make_model(cfg: dict, n_seen: int) -> Backpack:
    model = Backpack(cfg, n_seen + 1)
    offset = torch.zeros(n_seen + 1)
    offset[n_seen] = math.log(FULL_VOCAB - n_seen)  # the N_unseen identical rows, as one class
    model.logit_offset = offset
    return model


def full_vocab_nll(model: Backpack, ids: np.ndarray, to_compact: np.ndarray, n_seen: int, chunk: int) -> tuple[float, int]:
    """Sum of −log p(full-vocabulary id) over next-token predictions in chunks of `chunk` tokens."""
    total, count = 0.0, 0
    log_unseen = math.log(FULL_VOCAB - n_seen)
    with torch.no_grad():
        for s in range(0, len(ids) - 1, chunk):
            piece = ids[s:s + chunk + 1]
            if len(piece) < 2:
                break
            x = torch.from_numpy(to_compact[piece[:-1]])[None]
            y = torch.from_numpy(to_compact[piece[1:]])
            logp = F.log_softmax(model(x, fused=True)[0], dim=-1)
            nll = -logp.gather(1, y[:, None])[:, 0]
            nll = nll + (y == n_seen).double() * log_unseen  # class mass spread over N_unseen ids
            total += float(nll.sum())
            count += len(y)
    return total, count


class SampledHead:
    """Sampled softmax over the compact vocabulary (Jean et al. 2015, "On Using Very Large Target
    Vocabulary for Neural Machine Translation"), a Horvitz–Thompson estimate of the partition sum:
    the `frequent` most frequent seen ids, the shared never-seen class and every target id of the
    batch enter with weight 1; `k` draws (with replacement, ∝ count) from the other seen ids enter
    with logit − log π_v, π_v = 1 − (1 − Q_v)^k their inclusion probability. Evaluation and the
    shipped model always use the full softmax."""

    def __init__(self, counts: np.ndarray, n_seen: int, frequent: int, k: int, seed: int):
        order = np.argsort(-counts[:n_seen], kind="stable")
        self.fixed = torch.from_numpy(np.sort(np.append(order[:frequent], n_seen)))  # + never-seen class
        rest = order[frequent:]
        self.rest = torch.from_numpy(rest)
        q = counts[rest].astype(np.float64) / counts[rest].sum()
        self.q = torch.from_numpy(q)
        self.log_pi = torch.zeros(n_seen + 1, dtype=torch.float64)
        self.log_pi[self.rest] = torch.log(-torch.expm1(k * torch.log1p(-self.q)))
        self.k, self.seed = k, seed

    def loss(self, model: Backpack, o: torch.Tensor, y: torch.Tensor, step: int) -> torch.Tensor:
        """o (batch, pos, d), y (batch, pos) compact targets → mean cross-entropy."""
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
        drawn = self.rest[torch.multinomial(self.q, self.k, replacement=True, generator=g)]
        targets = torch.unique(y)
        cand = torch.unique(torch.cat([self.fixed, targets, drawn]))  # sorted candidate rows
        corr = torch.zeros(len(cand), dtype=torch.float64)
        is_drawn_only = torch.isin(cand, drawn) & ~torch.isin(cand, targets) & ~torch.isin(cand, self.fixed)
        corr[is_drawn_only] = -self.log_pi[cand[is_drawn_only]]
        w = model.wte.weight[cand]  # (cand, d)
        logits = o.reshape(-1, o.shape[-1]) @ w.T + (model.logit_offset[cand] + corr.float())  # (tokens, cand)
        return F.cross_entropy(logits, torch.searchsorted(cand, y.reshape(-1)))


def batch_for_step(data: np.ndarray, seed: int, step: int, shapes: dict) -> tuple[np.ndarray, np.ndarray]:
    # every `long_every`-th step uses full 512-token windows so that all position rows are trained
    b, t = shapes["long"] if step % shapes["long_every"] == shapes["long_every"] - 1 else shapes["short"]
    rng = np.random.default_rng([seed, step])
    starts = rng.integers(0, len(data) - t - 1, size=b)
    win = np.stack([data[s:s + t + 1] for s in starts])
    return win[:, :-1], win[:, 1:]


def lr_at(step: int, args, start: int = 0) -> float:
    """Linear warmup then cosine decay to min_lr_frac·lr, over steps start … max_steps (a run
    initialised from another run's checkpoint with --init-from starts a fresh schedule there)."""
    step -= start
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    p = min(1.0, (step - args.warmup) / max(1, args.max_steps - start - args.warmup))
    return args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * p)))


def param_groups(model: Backpack, wd: float):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.ndim == 2 and not name.startswith(("wte", "wpe")) else no_decay).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def save(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--seed", type=int, default=1111)
    ap.add_argument("--n-embd", type=int, default=128)
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--num-senses", type=int, default=16)
    ap.add_argument("--sense-scale", type=int, default=4)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--long-batch", type=int, default=4)
    ap.add_argument("--long-every", type=int, default=8)
    ap.add_argument("--sampled", type=int, default=2048, help="sampled-softmax draws per step (0: full softmax)")
    ap.add_argument("--frequent", type=int, default=2048, help="most frequent ids always in the sampled softmax")
    ap.add_argument("--valid-tokens", type=int, default=8192)
    ap.add_argument("--max-steps", type=int, default=1600)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--ckpt-every-s", type=float, default=180)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fp32-head", action="store_true", help="train the LM head matmuls in fp32 (default bf16)")
    ap.add_argument("--stop-at", default=None, help="UTC HH:MM: save and exit at this time")
    ap.add_argument("--stop-step", type=int, default=None, help="save and exit at this step (schedule unchanged)")
    ap.add_argument("--init-from", default=None,
                    help="checkpoint (another run's best.pt/last.pt) to continue from when RUN/last.pt does not exist: "
                         "weights, AdamW moments, step counter and RNG state are kept (so batches continue the same "
                         "seeded sequence), the learning-rate schedule restarts at that step (warmup, then cosine "
                         "decay to --max-steps) and the best validation perplexity starts afresh")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    run = Path(args.run)
    run.mkdir(parents=True, exist_ok=True)
    data = np.fromfile(Path(args.data) / "train.bin", dtype="<u2").astype(np.int64)
    valid = np.fromfile(Path(args.data) / "valid.bin", dtype="<u2").astype(np.int64)
    seen, to_compact = build_vocab(data)
    n_seen = len(seen)
    np.save(run / "seen_ids.npy", seen)
    data_c = to_compact[data]
    cfg = hf_config(args.n_embd, args.n_layer, args.n_head, args.num_senses, args.sense_scale)
    (run / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    (run / "args.json").write_text(json.dumps(vars(args), indent=2) + "\n")
    model = make_model(cfg, n_seen)
    model.bf16_head = not args.fp32_head
    opt = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    step, best, elapsed, start = 0, float("inf"), 0.0, 0
    if (run / "last.pt").exists():
        st = torch.load(run / "last.pt", weights_only=False)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, best, elapsed = st["step"], st["best"], st["elapsed"]
        start = st.get("schedule_start", 0)
        torch.set_rng_state(st["torch_rng"])
        print(f"resumed at step {step} (best valid ppl {math.exp(best):.2f}, schedule from step {start})", flush=True)
    elif args.init_from:
        st = torch.load(args.init_from, weights_only=False)
        if not np.array_equal(np.asarray(st["seen_ids"]), seen) or st["config"] != cfg:
            raise SystemExit(f"--init-from {args.init_from}: its vocabulary or config differs from this run's")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, elapsed = st["step"], st["elapsed"]
        start = step
        torch.set_rng_state(st["torch_rng"])
        print(f"initialised from {args.init_from} at step {step} (its valid ppl {math.exp(st['best']):.2f}); "
              f"fresh schedule: warmup {args.warmup}, cosine to step {args.max_steps}", flush=True)
    shapes = {"short": (args.batch, args.seq), "long": (args.long_batch, 512), "long_every": args.long_every}
    counts = np.bincount(data_c, minlength=n_seen + 1)
    head = SampledHead(counts, n_seen, args.frequent, args.sampled, args.seed) if args.sampled > 0 else None
    valid = valid[:args.valid_tokens]
    n_params = sum(p.numel() for p in model.parameters())
    print(f"seen ids {n_seen}, never-seen {FULL_VOCAB - n_seen}, train tokens {len(data)}, params (compact) {n_params}", flush=True)

    stop = {"now": False}

    def on_signal(signum, _frame):
        stop["now"] = True
        print(f"signal {signum}: saving and stopping", flush=True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def state() -> dict:
        return {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "best": best,
                "elapsed": elapsed, "torch_rng": torch.get_rng_state(), "seen_ids": seen, "config": cfg,
                "schedule_start": start}

    last_ckpt = time.time()
    t_seg = time.time()
    tokens_seg = 0
    model.train()
    while step < min(args.max_steps, args.stop_step or args.max_steps) and not stop["now"]:
        if args.stop_at and datetime.now(timezone.utc).strftime("%H:%M") >= args.stop_at:
            print(f"stop-at {args.stop_at} reached", flush=True)
            break
        t0 = time.time()
        x, y = batch_for_step(data_c, args.seed, step, shapes)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args, start)
        if head is not None:
            loss = head.loss(model, model(torch.from_numpy(x), fused=True, hidden_only=True), torch.from_numpy(y), step)
        else:
            logits = model(torch.from_numpy(x), fused=True)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        elapsed += time.time() - t0
        tokens_seg += x.size
        if step % 10 == 0:
            rate = tokens_seg / (time.time() - t_seg)
            print(f"step {step} loss {loss.item():.4f} lr {lr_at(step - 1, args, start):.2e} tok/s {rate:.0f} train_s {elapsed:.0f}", flush=True)
            t_seg, tokens_seg = time.time(), 0
        if step % args.eval_every == 0 or step == args.max_steps:
            model.eval()
            tot, cnt = full_vocab_nll(model, valid, to_compact, n_seen, 512)
            model.train()
            v = tot / cnt
            print(f"eval step {step} valid_ppl {math.exp(v):.2f} ({cnt} tokens)", flush=True)
            if v < best:
                best = v
                save(run / "best.pt", state())
        if time.time() - last_ckpt > args.ckpt_every_s:
            save(run / "last.pt", state())
            last_ckpt = time.time()
    save(run / "last.pt", state())
    print(f"done: step {step}, train_s {elapsed:.0f}, best valid ppl {math.exp(best):.2f}", flush=True)


if __name__ == "__main__":
    main()
