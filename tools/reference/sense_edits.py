"""Reference application of a "backpack-sense-edits" v1 document (src/shared/edits/sense-edits.ts).

Formulas from /work/shared/backpack-spec.md §4 (paper code, not paper text, where they differ):
  scale-sense      C(x_j)_l ← factor·C(x_j)_l at every position j holding the token        (§4.4)
  knowledge-edit   C̃_l = C_l − dots·e_r + dots·(‖e_r‖²/‖e_a‖²)·e_a, dots = C_l·e_r/‖e_r‖²   (§4.5)
                   with e_r, e_a rows of the tied embedding E
  replace-sense    C(x_j)_l ← source vector (another token's unedited sense, or explicit values)
  add-sense        C(x_j)_l ← C(x_j)_l + factor·source
  scale-contextualization  α[l, :, position] ← factor·α[...]; optionally rows renormalised over j ≤ i
Sense edits are applied in document order to the per-position senses (sense, pos, d); α is
unchanged by them. Token refs must be ids here (the reference has no tokenizer).
"""
from __future__ import annotations

import torch

from backpack_reference import BackpackReference

SUPPORTED = ("scale-sense", "knowledge-edit", "replace-sense", "add-sense", "scale-contextualization")


def _token(ref: object, where: str, vocab: int) -> int:
    if isinstance(ref, bool) or not isinstance(ref, int):
        raise ValueError(f"{where}: token ref {ref!r} must be an integer id (the reference has no tokenizer)")
    if not 0 <= ref < vocab:
        raise ValueError(f"{where}: token id {ref} outside [0, {vocab})")
    return ref


def _senses(sel: object, k: int, where: str) -> list[int]:
    if sel is None:
        return list(range(k))
    items = sel if isinstance(sel, list) else [sel]
    for s in items:
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < k:
            raise ValueError(f"{where}: sense {s!r} outside [0, {k})")
    return list(items)


def _source(model: BackpackReference, src: dict, where: str) -> torch.Tensor:
    if "values" in src:
        v = torch.tensor(src["values"], dtype=model.dtype)
        if v.shape != (model.cfg.n_embd,):
            raise ValueError(f"{where}: values has {v.numel()} entries, expected d_model={model.cfg.n_embd}")
        return v
    tok = _token(src.get("token"), where, model.cfg.vocab_size)
    sense = _senses(src.get("sense"), model.cfg.num_senses, where)[0]
    return model.sense_vectors(torch.tensor([tok]))[sense, 0]


def knowledge_edit(sense: torch.Tensor, e_r: torch.Tensor, e_a: torch.Tensor) -> torch.Tensor:
    """Spec §4.5 (paper code): works on (..., d) sense vectors."""
    rr, aa = e_r @ e_r, e_a @ e_a
    dots = (sense @ e_r) / rr  # (...)
    return sense - dots[..., None] * e_r + dots[..., None] * (rr / aa) * e_a


def apply_edits(model: BackpackReference, ids: list[int], doc: dict) -> dict[str, torch.Tensor]:
    """Runs the forward pass with the document's edits; returns edited logits, senses and α."""
    if doc.get("format") != "backpack-sense-edits" or doc.get("version") != 1:
        raise ValueError("edits file must have format 'backpack-sense-edits' and version 1")
    edits = doc.get("edits")
    if not isinstance(edits, list):
        raise ValueError("edits file needs an 'edits' array")
    cfg = model.cfg
    out = model.forward(ids)
    senses, alpha = out["senses"].clone(), out["contextualization"].clone()  # (k, T, d), (k, T, T)
    T = len(ids)
    with torch.no_grad():
        for n, edit in enumerate(edits):
            where = f"edits[{n}] ({edit.get('kind')!r})"
            kind = edit.get("kind")
            if kind not in SUPPORTED:
                raise ValueError(f"{where}: kind not supported by the reference; supported: {list(SUPPORTED)}")
            if kind == "scale-contextualization":
                pos = edit["position"]
                if not isinstance(pos, int) or not 0 <= pos < T:
                    raise ValueError(f"{where}: position {pos!r} outside [0, {T})")
                for s in _senses(edit.get("sense"), cfg.num_senses, where):
                    alpha[s, :, pos] *= float(edit["factor"])
                    if edit.get("renormalize"):
                        alpha[s] = alpha[s] / alpha[s].sum(-1, keepdim=True)
                continue
            tok = _token(edit.get("token"), where, cfg.vocab_size)
            positions = [j for j, t in enumerate(ids) if t == tok]
            sel = _senses(edit.get("senses") if kind == "knowledge-edit" else edit.get("sense"), cfg.num_senses, where)
            if kind == "scale-sense":
                for s in sel:
                    senses[s, positions] *= float(edit["factor"])
            elif kind == "knowledge-edit":
                e_r = model.embedding[_token(edit.get("remove"), where, cfg.vocab_size)]
                e_a = model.embedding[_token(edit.get("add"), where, cfg.vocab_size)]
                for s in sel:
                    senses[s, positions] = knowledge_edit(senses[s, positions], e_r, e_a)
            else:
                v = _source(model, edit["from"], where)
                for s in sel:
                    if kind == "replace-sense":
                        senses[s, positions] = v
                    else:
                        senses[s, positions] += float(edit.get("factor", 1.0)) * v
        logits = model.combine(senses, alpha)
    return {"logits": logits, "senses": senses, "contextualization": alpha}
