"""Times the PyTorch reference (HF-style, CPU) for `npm run bench`; prints one JSON object.

  tools/.venv/bin/python tools/reference/bench_reference.py --checkpoint DIR --threads N \
      [--repeats 5] [--gen-prompt 64] [--gen-new 128] [--gen-sample S] [--sense-table [--table-sample B]]
      [--skip-generation]

Figures (milliseconds unless named otherwise; warm = after one untimed run; median of --repeats):
  loadMs                 read the checkpoint and build the fp32 model (cold: first thing done)
  forwardMs.T64/T512     full forward with all outputs (logits, senses, α)
  combineT32Ms           combine + LM head only, α and senses reused (the "edits changed" re-run)
  atlasMs                one word's 16 senses scored over the vocabulary, top/bottom 10 each
  generation             64-token prompt + 128 greedy tokens, full recompute per step (as HF);
                         with --gen-sample S only S steps at evenly spaced lengths are timed and
                         the rate is 1 / mean step time (exact for a uniform sample; bounded run time)
  senseTableMs           (with --sense-table) senses of every vocabulary id, 512 ids per batch;
                         with --table-sample B only B batches are timed and the rest extrapolated
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
    ap.add_argument("--gen-sample", type=int, default=0, help="time only this many steps (0: all)")
    ap.add_argument("--sense-table", action="store_true")
    ap.add_argument("--table-sample", type=int, default=0, help="time only this many 512-id batches (0: all)")
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
            seq = ids_of(a.gen_prompt + a.gen_new, cfg.vocab_size, seed=3)[: a.gen_prompt]
            if a.gen_sample > 0:
                # one full step (forward + greedy pick) at each of S evenly spaced lengths
                s_n = min(a.gen_sample, a.gen_new)
                lengths = [a.gen_prompt + round(i * (a.gen_new - 1) / max(1, s_n - 1)) for i in range(s_n)]
                pool = ids_of(a.gen_prompt + a.gen_new, cfg.vocab_size, seed=4)
                step_times = []
                for n in lengths:
                    t0 = time.perf_counter()
                    int(model.forward(pool[:n][-cfg.n_positions:])["logits"][-1, :TEXT_VOCAB].argmax())
                    step_times.append(time.perf_counter() - t0)
                secs = statistics.fmean(step_times) * a.gen_new
                mode = f"full recompute per step; {s_n} sampled steps at lengths {lengths[0]}..{lengths[-1]}"
            else:
                t0 = time.perf_counter()
                for _ in range(a.gen_new):
                    logits = model.forward(seq[-cfg.n_positions:])["logits"][-1, :TEXT_VOCAB]
                    seq.append(int(logits.argmax()))
                secs = time.perf_counter() - t0
                mode = "full recompute per step"
            out["generation"] = {"promptTokens": a.gen_prompt, "newTokens": a.gen_new, "seconds": round(secs, 2),
                                 "tokensPerSecond": round(a.gen_new / secs, 2), "mode": mode}

        if a.sense_table:
            starts = list(range(0, cfg.vocab_size, 512))
            timed_starts = starts if a.table_sample <= 0 else starts[:: max(1, len(starts) // a.table_sample)][: a.table_sample]
            t0 = time.perf_counter()
            for start in timed_starts:
                model.sense_vectors(torch.arange(start, min(start + 512, cfg.vocab_size)))
            secs = (time.perf_counter() - t0) * len(starts) / len(timed_starts)
            out["senseTableMs"] = round(secs * 1000, 1)
            out["senseTableMode"] = "all batches" if len(timed_starts) == len(starts) else f"{len(timed_starts)} of {len(starts)} batches timed, extrapolated"

    # ru_maxrss is KiB on Linux, bytes on macOS
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["peakRssMb"] = round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
