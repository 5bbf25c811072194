"""Exports a train.py checkpoint as an ordinary HF Backpack-GPT2 checkpoint (backpack-spec.md §1.1, §2.2).

Usage: tools/.venv/bin/python tools/train-demo/export.py --ckpt RUN/best.pt --out resources/demo-backpack

Writes OUT/config.json and OUT/model.safetensors (fp16, HF key names). The compact training
vocabulary is expanded to all 50264 rows: seen ids get their trained rows, every other id
(never seen in training, and the 7 padding rows) gets the shared never-seen row, exactly the
function the model was trained as (see train.py). Only one alias of each tied tensor is stored
(`backpack.gpt2_model.wte.weight`, `backpack.gpt2_model.wpe.weight`), like HF's safetensors converter.
"""
import argparse
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backpack_model import Backpack  # noqa: E402

FULL_VOCAB = 50264


def full_state(ckpt: dict) -> dict[str, torch.Tensor]:
    """train.py state dict (compact vocabulary) → HF names, full vocabulary, fp32."""
    sd = ckpt["model"]
    seen = torch.as_tensor(ckpt["seen_ids"], dtype=torch.long)
    compact = sd["wte.weight"]  # (n_seen + 1, d): last row shared by all never-seen ids
    wte = compact[-1].repeat(FULL_VOCAB, 1)
    wte[seen] = compact[:-1]
    out: dict[str, torch.Tensor] = {"backpack.gpt2_model.wte.weight": wte, "backpack.gpt2_model.wpe.weight": sd["wpe.weight"]}
    for name, t in sd.items():
        if name.startswith(("h.", "ln_f.")):
            out["backpack.gpt2_model." + name] = t
        elif name.startswith("sense_network."):
            out["backpack." + name] = t
        elif name.startswith("sense_weight_net."):
            out["backpack.sense_weight_net.c_attn." + name.split(".", 1)[1]] = t  # nn.Linear [out, in]
        elif name not in ("wte.weight", "wpe.weight"):
            raise ValueError(f"unexpected training tensor {name}")
    return out


def load_full_model(out_dir: Path, dtype=torch.float32) -> Backpack:
    """The exported files back into backpack_model.Backpack (full vocabulary), for evaluate.py."""
    from safetensors.torch import load_file

    cfg = json.loads((out_dir / "config.json").read_text())
    sd = load_file(out_dir / "model.safetensors")
    model = Backpack(cfg, cfg["vocab_size"])
    mine = {}
    for name, t in sd.items():
        n = name.replace("backpack.gpt2_model.", "").replace("backpack.sense_weight_net.c_attn.", "sense_weight_net.")
        n = n.replace("backpack.sense_network.", "sense_network.")
        mine[n] = t.to(dtype)
    model.load_state_dict(mine, strict=True)
    return model.to(dtype).eval()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    ckpt = torch.load(args.ckpt, weights_only=False, map_location="cpu")
    cfg = ckpt["config"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in full_state(ckpt).items()}
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "model.safetensors").chmod(0o644)
    (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    n = sum(t.numel() for t in tensors.values())
    size = (out / "model.safetensors").stat().st_size
    print(json.dumps({"step": ckpt["step"], "tensors": len(tensors), "parameters": n, "bytes": size}))


if __name__ == "__main__":
    main()
