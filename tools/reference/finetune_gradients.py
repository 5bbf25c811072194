"""Reference values of the sense fine-tuning objective and its gradient, by autograd.

  tools/.venv/bin/python tools/reference/finetune_gradients.py --checkpoint test/fixtures/checkpoints/small-bin \
      --out test/fixtures/golden/finetune-small-bin/cases.json

Independent of the engine's closed-form gradient (src/main/finetune/): the changes Δ_i (m, d)
are leaf tensors added to the sense vectors C(v_i)_ℓ_i at every position holding v_i, the model's
own combine runs (α unchanged), and torch.autograd differentiates
  objective = mean_examples L_example + kl_weight · (1/N) Σ_t KL(p_orig,t ‖ p_edited,t)
over the background rows (windows of ≤ n_positions tokens overlapping by one, each window's first
token context only). Losses, with l_t = log p(y_t) over the real tokens (ids < 50257) and S = Σ l_t:
  nll −S;  unlikely −Σ log(1 − p_t);  balance (S1 − S2)²;  good-v-bad softplus(S2 − S1).
Also written: the mean background α mass of each pair (the selection statistic) and the summed
suffix NLL of each example. Computed in float64; Δ is drawn in float32 and stored exactly.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backpack_reference import load_reference  # noqa: E402


def edited_logits(model, ids: list[int], pairs, delta: torch.Tensor) -> torch.Tensor:
    t = torch.tensor(ids, dtype=torch.long)
    senses = model.sense_vectors(t).clone()  # (sense, pos, d)
    for i, (v, l) in enumerate(pairs):
        mask = (t == v).to(senses.dtype).unsqueeze(-1)  # (pos, 1)
        senses[l] = senses[l] + mask * delta[i]
    alpha = model.contextualization(model.gpt2_hidden(t))  # (sense, pos, pos)
    return model.combine(senses, alpha), alpha  # (pos, vocab)


def windows(n: int, p: int) -> list[tuple[int, int]]:
    out, start = [], 0
    while start + 1 < n:
        out.append((start, min(n, start + p)))
        start += p - 1
    return out


def example_loss(loss: str, logps: list[torch.Tensor]) -> torch.Tensor:
    s = [lp.sum() for lp in logps]
    if loss == "nll":
        return -s[0]
    if loss == "unlikely":
        return -torch.log(-torch.expm1(logps[0])).sum()
    if loss == "balance":
        return (s[0] - s[1]) ** 2
    if loss == "good-v-bad":
        return torch.nn.functional.softplus(s[1] - s[0])
    raise ValueError(loss)


def run_case(model, case: dict, background: list[int], text_v: int) -> dict:
    pairs = [(p["token"], p["sense"]) for p in case["pairs"]]
    delta = torch.tensor(case["delta"], dtype=torch.float64, requires_grad=True)  # (m, d)
    losses, suffix_nll = [], []
    for ex in case["examples"]:
        logps = []
        for suffix in ex["suffixes"]:
            ids = ex["prefix"] + suffix
            logits, _ = edited_logits(model, ids, pairs, delta)
            lsm = torch.log_softmax(logits[:, :text_v], dim=-1)
            rows = [len(ex["prefix"]) - 1 + i for i in range(len(suffix))]
            logps.append(torch.stack([lsm[r, ids[r + 1]] for r in rows]))
        losses.append(example_loss(case["loss"], logps))
        suffix_nll.append([float(-lp.detach().sum()) for lp in logps])
    canonical = torch.stack(losses).mean()
    kl_sum = torch.zeros((), dtype=torch.float64)
    nll_sum = 0.0
    n = 0
    mass = torch.zeros(len(pairs), dtype=torch.float64)
    for start, end in windows(len(background), model.cfg.n_positions):
        ids = background[start:end]
        rows = len(ids) - 1
        logits, alpha = edited_logits(model, ids, pairs, delta)
        with torch.no_grad():
            base, _ = edited_logits(model, ids, pairs, torch.zeros_like(delta))
        lp1 = torch.log_softmax(logits[:rows, :text_v], dim=-1)
        lp0 = torch.log_softmax(base[:rows, :text_v], dim=-1)
        kl_sum = kl_sum + (lp0.exp() * (lp0 - lp1)).sum()
        nll_sum += float(-lp1.detach()[torch.arange(rows), torch.tensor(ids[1:])].sum())
        t = torch.tensor(ids)
        for i, (v, l) in enumerate(pairs):
            mass[i] += float((alpha.detach()[l, :rows, :] * (t == v).to(alpha.dtype)).sum())
        n += rows
    kl = kl_sum / n
    objective = canonical + case["klWeight"] * kl
    (grad,) = torch.autograd.grad(objective, delta)
    return {
        "objective": float(objective.detach()),
        "kl": float(kl.detach()),
        "backgroundNll": nll_sum / n,
        "exampleLosses": [float(x.detach()) for x in losses],
        "suffixNll": suffix_nll,
        "backgroundMass": [float(x) for x in mass / n],
        "gradient": grad.flatten().tolist(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    model = load_reference(args.checkpoint, torch.float64)
    cfg = model.cfg
    V, d, k = cfg.vocab_size, cfg.n_embd, cfg.num_senses
    text_v = min(V, 50257)
    g = torch.Generator().manual_seed(args.seed)
    # the KL term dominates the 1000-weight case, so its gradient is checked on its own scale
    # a background of 150 ids drawn from 40 tokens (so selected tokens recur) → 3 windows of ≤ 64
    pool = torch.randperm(V, generator=g)[:40].tolist()
    background = [pool[i] for i in torch.randint(0, 40, (150,), generator=g).tolist()]
    single = [
        {"prefix": [pool[0], pool[1], pool[2]], "suffixes": [[pool[3], pool[4]]]},
        {"prefix": [pool[5], pool[0]], "suffixes": [[pool[6]]]},
        {"prefix": [pool[7], pool[8], pool[9], pool[1]], "suffixes": [[pool[10], pool[11], pool[12]]]},
    ]
    pair = [
        {"prefix": [pool[0], pool[1], pool[2]], "suffixes": [[pool[3]], [pool[13], pool[14]]]},
        {"prefix": [pool[5], pool[0]], "suffixes": [[pool[6], pool[4]], [pool[15]]]},
    ]
    pairs = [{"token": pool[0], "sense": 3}, {"token": pool[1], "sense": 0}, {"token": pool[3], "sense": 7},
             {"token": pool[5], "sense": 12}, {"token": pool[0], "sense": 9}]
    delta = (torch.randn(len(pairs), d, generator=g, dtype=torch.float32) * 0.5).tolist()
    cases = []
    for loss, examples, klw in [("nll", single, 0.0), ("nll", single, 0.7), ("nll", single, 1000.0), ("unlikely", single, 0.7),
                                ("balance", pair, 0.7), ("good-v-bad", pair, 0.7)]:
        case = {"loss": loss, "klWeight": klw, "examples": examples, "pairs": pairs, "delta": delta}
        case["expected"] = run_case(model, case, background, text_v)
        cases.append(case)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"checkpoint": os.path.basename(os.path.normpath(args.checkpoint)), "background": background,
                   "vocab": V, "senses": k, "dModel": d, "cases": cases}, f)
    print(json.dumps({"cases": len(cases), "pairs": len(pairs), "background": len(background)}))


if __name__ == "__main__":
    main()
