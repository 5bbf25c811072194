"""Times the PyTorch reference (HF-style, CPU) for `npm run bench`; prints one JSON object.

  tools/.venv/bin/python tools/reference/bench_reference.py --checkpoint DIR --threads N \
      [--repeats 5] [--gen-prompt 64] [--gen-new 128] [--sense-table] [--skip-generation]

Figures (milliseconds unless named otherwise; warm = after one untimed run; median of --repeats):
  loadMs                 read the checkpoint and build the fp32 model (cold: first thing done)
  forwardMs.T64/T512     full forward with all outputs (logits, senses, α)
  combineT32Ms           combine + LM head only, α and senses reused (the "edits changed" re-run)
  atlasMs                one word's 16 senses scored over the vocabulary, top/bottom 10 each
  generation             64-token prompt + 128 greedy tokens, full recompute per step (as HF)
  senseTableMs           (with --sense-table) senses of every vocabulary id, 512 ids per batch
  peakRssMb              peak resident set size of this process
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backpack_reference import load_reference  # noqa: E402

TEXT_VOCAB = 50257  # ids ≥ this are padding rows: never shown or sampled (spec §7.1)


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def ids_of(n: int, vocab: int, seed: int = 0) -> list[int]:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, min(vocab, TEXT_VOCAB), (n,), generator=g).tolist()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--gen-prompt", type=int, default=64)
    ap.add_argument("--gen-new", type=int, default=128)
    ap.add_argument("--sense-table", action="store_true")
    ap.add_argument("--skip-generation", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)

    t0 = time.perf_counter()
    model = load_reference(a.checkpoint, torch.float32)
    load_ms = round((time.perf_counter() - t0) * 1000, 1)
    cfg = model.cfg
    out: dict = {
        "implementation": "tools/reference (HF-style PyTorch, fp32, CPU)",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "loadMs": load_ms,
        "forwardMs": {},
    }
    with torch.no_grad():
        for T in (64, 512):
            if T <= cfg.n_positions:
                ids = ids_of(T, cfg.vocab_size)
                out["forwardMs"][f"T{T}"] = timed(lambda: model.forward(ids), a.repeats if T <= 64 else max(2, a.repeats // 2))

        ids32 = ids_of(32, cfg.vocab_size, seed=1)
        full = model.forward(ids32)
        senses, alpha = full["senses"], full["contextualization"]
        out["combineT32Ms"] = timed(lambda: model.combine(senses, alpha), a.repeats)

        word = torch.tensor([ids_of(1, cfg.vocab_size, seed=2)[0]])

        def atlas():
            c = model.sense_vectors(word)[:, 0]  # (sense, d)
            scores = c @ model.embedding[:TEXT_VOCAB].T  # (sense, text vocab)
            return scores.topk(10, dim=-1), (-scores).topk(10, dim=-1)
        out["atlasMs"] = timed(atlas, a.repeats)

        if not a.skip_generation:
            seq = ids_of(a.gen_prompt, cfg.vocab_size, seed=3)
            t0 = time.perf_counter()
            for _ in range(a.gen_new):
                logits = model.forward(seq[-cfg.n_positions:])["logits"][-1, :TEXT_VOCAB]
                seq.append(int(logits.argmax()))
            secs = time.perf_counter() - t0
            out["generation"] = {"promptTokens": a.gen_prompt, "newTokens": a.gen_new, "seconds": round(secs, 2),
                                 "tokensPerSecond": round(a.gen_new / secs, 2), "mode": "full recompute per step"}

        if a.sense_table:
            def table():
                for start in range(0, cfg.vocab_size, 512):
                    model.sense_vectors(torch.arange(start, min(start + 512, cfg.vocab_size)))
            t0 = time.perf_counter()
            table()
            out["senseTableMs"] = round((time.perf_counter() - t0) * 1000, 1)

    # ru_maxrss is KiB on Linux, bytes on macOS
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["peakRssMb"] = round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
