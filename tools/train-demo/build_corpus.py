"""Builds the demo corpus from WordNet 3.0 (Debian package `wordnet-base`).

Each synset becomes one document line: "lemma, lemma: gloss. Example sentence. ..." with the
glosses and the quoted example sentences cleaned into plain sentences. Documents are split
into train / held-out with a seeded shuffle (by synset, so no held-out gloss is seen in training).

Usage: tools/.venv/bin/python tools/train-demo/build_corpus.py --out DIR [--heldout-frac 0.03] [--seed 1234]
Writes DIR/train.txt, DIR/valid.txt (checkpoint selection), DIR/heldout.txt (final evaluation) (one document per line) and DIR/corpus-stats.json.
"""
import argparse
import json
import random
import re
from pathlib import Path

WORDNET_DIR = Path("/usr/share/wordnet")
PARTS = ["noun", "verb", "adj", "adv"]


def clean_sentence(s: str) -> str:
    s = s.strip().strip(";").strip()
    s = re.sub(r"\s+", " ", s)
    s = s.replace("``", '"').replace("''", '"')
    if not s:
        return ""
    s = s[0].upper() + s[1:]
    if s[-1] not in ".!?\"'":
        s += "."
    return s


def parse_synset(line: str):
    """Returns (lemmas, definitions, examples) of one data.* line, or None for licence lines."""
    if line.startswith("  ") or "|" not in line:
        return None
    head, gloss = line.split("|", 1)
    fields = head.split()
    w_cnt = int(fields[3], 16)
    lemmas = []
    for i in range(w_cnt):
        w = fields[4 + 2 * i]
        w = re.sub(r"\(\w+\)$", "", w)  # adjective markers like (a), (p)
        lemmas.append(w.replace("_", " "))
    examples = [m.strip() for m in re.findall(r'"([^"]+)"', gloss)]
    definition_part = re.sub(r'"[^"]*"', "", gloss)
    definitions = [d.strip() for d in definition_part.split(";") if d.strip()]
    return lemmas, definitions, examples


def synset_document(lemmas, definitions, examples) -> str:
    uniq = []
    for w in lemmas:
        if w not in uniq:
            uniq.append(w)
    text = ", ".join(uniq)
    if definitions:
        d = re.sub(r"\s+", " ", "; ".join(definitions)).strip().rstrip(";").strip()
        text += ": " + d
        if not text.endswith((".", "!", "?")):
            text += "."
    sentences = [clean_sentence(e) for e in examples]
    sentences = [s for s in sentences if len(s) > 3]
    return " ".join([text] + sentences)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--heldout-frac", type=float, default=0.03)
    ap.add_argument("--valid-frac", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    docs = []
    for part in PARTS:
        with open(WORDNET_DIR / f"data.{part}", encoding="utf-8") as f:
            for line in f:
                parsed = parse_synset(line)
                if parsed is None:
                    continue
                doc = synset_document(*parsed)
                if len(doc) > 8:
                    docs.append(doc)
    order = list(range(len(docs)))
    random.Random(args.seed).shuffle(order)
    n_held = int(round(len(docs) * args.heldout_frac))
    n_valid = int(round(len(docs) * args.valid_frac))
    held = sorted(order[:n_held])  # final evaluation only
    valid = sorted(order[n_held:n_held + n_valid])  # checkpoint selection during training
    train = order[n_held + n_valid:]  # shuffled order: neighbouring documents are unrelated synsets
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.txt").write_text("".join(docs[i] + "\n" for i in train), encoding="utf-8")
    (out / "valid.txt").write_text("".join(docs[i] + "\n" for i in valid), encoding="utf-8")
    (out / "heldout.txt").write_text("".join(docs[i] + "\n" for i in held), encoding="utf-8")
    stats = {"documents": len(docs), "train": len(train), "valid": n_valid, "heldout": n_held, "seed": args.seed,
             "heldout_frac": args.heldout_frac, "valid_frac": args.valid_frac, "source": str(WORDNET_DIR)}
    (out / "corpus-stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
