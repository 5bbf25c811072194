"""Evaluates the shipped demo Backpack and writes the small files the TS test recomputes from.

Usage:
  tools/.venv/bin/python tools/train-demo/evaluate.py --model resources/demo-backpack \
      --data /work/demo-run/corpus --write-resources --report /work/demo-run/eval

Reads the SHIPPED files (config.json + fp16 model.safetensors, upcast to fp32) and reports:
- held-out perplexity of the model, of an add-one unigram over the training-split counts (all
  50257 text ids), and of the same architecture with random (seeded) weights; on the whole
  held-out split and on the shipped sample heldout.txt. Chunks of ≤ 512 tokens, no BOS: in each
  chunk every token but the first is predicted.
- the probability mass the model puts on ids never seen in training (incl. the 7 padding rows);
- agreement with the independent reference implementation (tools/reference) on one chunk;
- top-10 tokens of each sense for 20 common words;
- a sense ablation (scale 0) that lowers the probability of the token the sense promotes.
With --write-resources it first writes heldout.txt, unigram-counts.json, and at the end
intervention.json and evaluation.json (this report) into --model.
"""
import argparse
import json
import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "reference"))
from backpack_model import Backpack  # noqa: E402
from export import load_full_model  # noqa: E402

TEXT_VOCAB = 50257
CHUNK = 512
WORDS = ["bank", "play", "light", "cell", "plant", "water", "music", "dog", "tree", "house",
         "run", "good", "small", "time", "money", "food", "fire", "book", "head", "animal"]


def tokenize_file(path: Path) -> np.ndarray:
    out = path.with_suffix(".eval-tmp.bin")
    subprocess.run(["node", str(HERE / "tokenize.mjs"), str(path), str(out)], check=True, capture_output=True)
    ids = np.fromfile(out, dtype="<u2").astype(np.int64)
    out.unlink()
    return ids


def chunks(ids: np.ndarray):
    for s in range(0, len(ids), CHUNK):
        c = ids[s:s + CHUNK]
        if len(c) >= 2:
            yield c


def model_logprobs(model: Backpack, chunk: np.ndarray) -> torch.Tensor:
    with torch.no_grad():
        return torch.log_softmax(model(torch.from_numpy(chunk)[None])[0].double(), dim=-1)  # (pos, vocab)


def perplexities(model: Backpack, ids: np.ndarray, unigram_logp: np.ndarray, unseen: torch.Tensor):
    nll_m, nll_u, n = 0.0, 0.0, 0
    unseen_mass = []
    for c in chunks(ids):
        lp = model_logprobs(model, c)
        tgt = torch.from_numpy(c[1:])
        nll_m -= float(lp[:-1].gather(1, tgt[:, None]).sum())
        nll_u -= float(unigram_logp[c[1:]].sum())
        n += len(c) - 1
        unseen_mass.append(torch.logsumexp(lp[:, unseen], dim=-1).exp())
    mass = torch.cat(unseen_mass)
    return {"model_ppl": math.exp(nll_m / n), "unigram_ppl": math.exp(nll_u / n), "predicted_tokens": n,
            "unseen_mass_mean": float(mass.mean()), "unseen_mass_max": float(mass.max())}


def random_ppl(cfg: dict, ids: np.ndarray) -> float:
    torch.manual_seed(0)
    model = Backpack(cfg, cfg["vocab_size"]).eval()
    nll, n = 0.0, 0
    for c in chunks(ids):
        lp = model_logprobs(model, c)
        nll -= float(lp[:-1].gather(1, torch.from_numpy(c[1:])[:, None]).sum())
        n += len(c) - 1
    return math.exp(nll / n)


def sense_scores(model: Backpack, token: int) -> torch.Tensor:
    with torch.no_grad():
        c = model.sense_network(model.wte.weight[token])  # (sense, d)
        return c @ model.wte.weight.T  # (sense, vocab): E·C(x)_ℓ, no softmax


def sense_tables(model: Backpack, dec) -> dict:
    tables = {}
    for w in WORDS:
        ids = json.loads(subprocess.run(["node", "-e", f"const {{getEncoding}}=require('js-tiktoken');console.log(JSON.stringify(getEncoding('gpt2').encode({json.dumps(' ' + w)})))"],
                                        check=True, capture_output=True, text=True, cwd=HERE.parent.parent).stdout)
        scores = sense_scores(model, ids[0])[:, :TEXT_VOCAB]
        top = scores.topk(10, dim=-1)
        tables[w] = {"token": ids[0], "tokens": len(ids),
                     "senses": [[(dec[int(i)], round(float(v), 2)) for v, i in zip(top.values[l], top.indices[l])] for l in range(scores.shape[0])]}
    return tables


def decoder() -> list[str]:
    js = "const {getEncoding}=require('js-tiktoken');const e=getEncoding('gpt2');const a=[];for(let i=0;i<50257;i++)a.push(e.decode([i]));console.log(JSON.stringify(a))"
    return json.loads(subprocess.run(["node", "-e", js], check=True, capture_output=True, text=True, cwd=HERE.parent.parent).stdout)


def decode_ids(ids: list[int]) -> str:
    js = f"const {{getEncoding}}=require('js-tiktoken');process.stdout.write(JSON.stringify(getEncoding('gpt2').decode({json.dumps(ids)})))"
    return json.loads(subprocess.run(["node", "-e", js], check=True, capture_output=True, text=True, cwd=HERE.parent.parent).stdout)


def find_intervention(model: Backpack, ids: np.ndarray, seen_mask: np.ndarray, dec, max_positions: int) -> dict:
    """Over held-out tokens: for each content-word position j and sense ℓ of x_j, v = argmax_u
    (E·C(x_j)_ℓ)_u; ablate C(x_j)_ℓ (scale 0) at every position ≤ j holding x_j and read p(v) at
    query i = j. Returns the largest absolute drop (p(v) ≥ 0.05 before, v a seen word token) and
    aggregate statistics over all (j, ℓ). Falls back to p(v) ≥ 0.005 when no case reaches 0.05."""
    best, ratios, used, found = None, [], 0, []
    for c in chunks(ids):
        t = torch.from_numpy(c)
        with torch.no_grad():
            senses = model.senses(t[None])[0]  # (sense, pos, d)
            alpha = model.contextualization(t[None])[0]  # (sense, pos, pos)
            base = model.logits_from_output((alpha @ senses).sum(0)).double()  # (pos, vocab)
            for j in range(len(c) - 1):
                w = dec[int(c[j])]
                if not (w.startswith(" ") and w.strip().isalpha() and len(w.strip()) >= 3) or used >= max_positions:
                    continue
                used += 1
                contrib = (senses[:, j] @ model.wte.weight.T).double()  # (sense, vocab)
                same = (t == t[j]) & (torch.arange(len(c)) <= j)  # positions holding x_j up to the query
                p_base = torch.softmax(base[j], -1)
                for l in range(senses.shape[0]):
                    v = int(contrib[l].argmax())
                    if v >= TEXT_VOCAB or not seen_mask[v]:
                        continue
                    a = float(alpha[l, j, same].sum())  # total α on the ablated (word, sense) at query j
                    p0 = float(p_base[v])
                    p1 = float(torch.softmax(base[j] - a * contrib[l], -1)[v])
                    ratios.append(p1 / p0)
                    word_like = dec[v].strip().isalpha() and len(dec[v].strip()) >= 3
                    if p0 >= 0.005 and p1 < 0.5 * p0 and word_like:
                        found.append({"ids": [int(x) for x in c[:j + 1]], "word": int(c[j]), "wordText": w,
                                      "wordPositions": [int(p) for p in torch.nonzero(same)[:, 0]], "sense": l,
                                      "target": v, "targetText": dec[v], "pBefore": p0, "pAfter": p1})
    # the largest absolute drop, preferring content-word targets (≥ 4 letters) that were likely (p ≥ 0.05)
    for floor, letters in ((0.05, 4), (0.05, 3), (0.005, 3)):
        pool = [f for f in found if f["pBefore"] >= floor and len(f["targetText"].strip()) >= letters]
        if pool:
            best = max(pool, key=lambda f: f["pBefore"] - f["pAfter"])
            break
    r = np.array(ratios)
    return {"example": best, "positions": used, "cases": len(r), "fraction_lowered": float((r < 1).mean()),
            "median_ratio": float(np.median(r)), "fraction_below_half": float((r < 0.5).mean())}


def render_markdown(r: dict) -> str:
    """The README tables from a report."""
    hs, hp = r["heldout_sample"], r["heldout_split"]
    out = ["| held-out text | tokens predicted | demo Backpack | unigram (add-one) | random weights |",
           "|---|---|---|---|---|",
           f"| whole held-out split | {hp['predicted_tokens']} | {hp['model_ppl']:.1f} | {hp['unigram_ppl']:.1f} | {hp['random_ppl']:.0f} (first 20000 tokens) |",
           f"| shipped `heldout.txt` | {hs['predicted_tokens']} | {hs['model_ppl']:.1f} | {hs['unigram_ppl']:.1f} | {hs['random_ppl']:.0f} |",
           "",
           f"Probability mass on never-seen ids (never in the training split, plus the 7 padding rows), per position: "
           f"whole split mean {hp['unseen_mass_mean']:.2e}, max {hp['unseen_mass_max']:.2e}; "
           f"`heldout.txt` mean {hs['unseen_mass_mean']:.2e}, max {hs['unseen_mass_max']:.2e}.",
           "",
           f"Independent reference (`tools/reference`, float64) vs this PyTorch model on the shipped weights, one 512-token chunk: "
           f"max |Δlogit| = {r['reference_max_abs_logit_diff']:.1e}.", ""]
    iv = r["intervention"]
    ex = iv["example"]
    if ex:
        out += [f"Intervention: context ending in {json.dumps(ex['wordText'])} (token {ex['word']}); its sense {ex['sense']} "
                f"promotes {json.dumps(ex['targetText'])} (token {ex['target']}) above every other token. Scaling that sense "
                f"to 0 at {len(ex['wordPositions'])} position(s) changes p({json.dumps(ex['targetText'])} | context) from "
                f"{ex['pBefore']:.4f} to {ex['pAfter']:.4f}.", ""]
    out += [f"Over {iv['positions']} content-word positions of `heldout.txt` × 16 senses ({iv['cases']} cases), ablating the sense "
            f"at the word lowered p(top token of that sense) at the next position in {100 * iv['fraction_lowered']:.1f}% of cases "
            f"(median ratio after/before {iv['median_ratio']:.3f}; below one half in {100 * iv['fraction_below_half']:.1f}%).", ""]
    out += ["Top 10 tokens of each sense (highest raw scores E·C(x)_ℓ, ids ≥ 50257 excluded; sense index 0-based; "
            "tokens JSON-quoted so leading spaces and newlines show):", ""]
    for w, t in r["senses"].items():
        out += [f"**{w}** (token {t['token']}{', first of ' + str(t['tokens']) + ' tokens' if t['tokens'] > 1 else ''})", "",
                "| ℓ | top 10 |", "|---|---|"]
        for l, row in enumerate(t["senses"]):
            toks = " ".join(json.dumps(tok, ensure_ascii=False).replace("|", "\\|") for tok, _ in row)
            out.append(f"| {l} | {toks} |")
        out.append("")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--report", required=True, help="prefix for REPORT.json")
    ap.add_argument("--write-resources", action="store_true")
    ap.add_argument("--sample-chars", type=int, default=13000)
    ap.add_argument("--max-positions", type=int, default=600)
    ap.add_argument("--split-tokens", type=int, default=None, help="evaluate only the first N held-out split tokens")
    args = ap.parse_args()
    torch.set_num_threads(2)
    model_dir, data = Path(args.model), Path(args.data)
    train = np.fromfile(data / "train.bin", dtype="<u2").astype(np.int64)
    counts = np.bincount(train, minlength=TEXT_VOCAB)
    unigram_logp = np.log((counts + 1) / (counts.sum() + TEXT_VOCAB))
    seen_mask = np.zeros(50264, dtype=bool)
    seen_mask[np.unique(train)] = True
    unseen = torch.from_numpy(np.nonzero(~seen_mask)[0])

    if args.write_resources:
        docs = (data / "heldout.txt").read_text(encoding="utf-8").splitlines()
        order = list(range(len(docs)))
        random.Random(7).shuffle(order)
        pick, size = [], 0
        for i in order:
            if size >= args.sample_chars:
                break
            pick.append(i)
            size += len(docs[i]) + 1
        (model_dir / "heldout.txt").write_text("".join(docs[i] + "\n" for i in sorted(pick)), encoding="utf-8")
        (model_dir / "unigram-counts.json").write_text(json.dumps({
            "description": "GPT-2 token counts of the demo Backpack's training split (WordNet 3.0 glosses); "
                           "baseline p(v) = (count[v] + 1) / (total + 50257)",
            "smoothing": "add-one", "vocab": TEXT_VOCAB, "total": int(counts.sum()),
            "counts": [int(x) for x in counts]}, separators=(",", ":")) + "\n")

    model = load_full_model(model_dir)
    cfg = json.loads((model_dir / "config.json").read_text())
    sample = tokenize_file(model_dir / "heldout.txt")
    heldout = np.fromfile(data / "heldout.bin", dtype="<u2").astype(np.int64)[:args.split_tokens]
    report = {"config": {k: cfg[k] for k in ("n_embd", "n_layer", "n_head", "num_senses", "sense_intermediate_scale", "n_positions", "vocab_size")}}
    report["parameters"] = sum(p.numel() for p in model.parameters())
    report["heldout_split"] = perplexities(model, heldout, unigram_logp, unseen)
    report["heldout_sample"] = perplexities(model, sample, unigram_logp, unseen)
    report["heldout_sample"]["random_ppl"] = random_ppl(cfg, sample)
    report["heldout_split"]["random_ppl"] = random_ppl(cfg, heldout[:20000])
    report["heldout_split"]["random_ppl_note"] = "first 20000 held-out tokens"

    from backpack_reference import load_reference
    ref = load_reference(str(model_dir), torch.float64)
    c = sample[:CHUNK]
    with torch.no_grad():
        mine = model(torch.from_numpy(c)[None])[0].double()
    report["reference_max_abs_logit_diff"] = float((ref.forward([int(x) for x in c])["logits"] - mine).abs().max())

    dec = decoder()
    report["senses"] = sense_tables(model, dec)
    report["intervention"] = find_intervention(model, sample, seen_mask, dec, args.max_positions)
    if args.write_resources and report["intervention"]["example"]:
        ex = dict(report["intervention"]["example"])
        ex["text"] = decode_ids(ex["ids"])
        (model_dir / "intervention.json").write_text(json.dumps(ex, indent=2, ensure_ascii=False) + "\n")
    Path(args.report + ".json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    Path(args.report + ".md").write_text(render_markdown(report))
    if args.write_resources:
        (model_dir / "evaluation.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "senses"}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
