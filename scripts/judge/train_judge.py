#!/usr/bin/env python3
"""Train, evaluate and export the shipped FLUENCY judge (models/judges/fluency/).

A pointwise judge: one score per text; P(a ≻ b) = σ(s_a − s_b). It is trained to prefer real corpus
text over four kinds of degraded text, with a Bradley–Terry loss on (real, degraded) pairs:

  shuffle   the words of the text in a random order
  repeat    ~20% of the words repeated 1–2 times, inserted ("the the cat sat") or over the words
            after them ("the the sat on on mat", same word count), half and half
  truncate  only the first 30–70% of the words (cut where no sentence ends)
  noise     ~25% of the tokens replaced by uniformly random vocabulary tokens

Run (dev time only; Debian's PyTorch, one thread, niced because a pretraining job shares the cores):

  nice -n 10 /usr/bin/python3 scripts/judge/train_judge.py

Data: .work/corpus/{train,test}.txt (scripts/corpus/build_corpus.mjs). Only texts of ≥ 4 words whose
tokens fit in the judge's window (max_length − 1 tokens + the end-of-text token) are used, so the
model always sees the whole real text. Tokenization goes through src/engine/tokenizer.ts
(scripts/judge/tokenize.ts), the class the browser judge uses.

Model input (also written to judge.json): ids = encode(text)[: max_length − 1] + [eos], right-padded
with pad_token_id, attention_mask 1 on real tokens. Appending eos marks where the text ends, which
is what lets a window-local model see a truncated ending.

Writes models/judges/fluency/{model.onnx, tokenizer.json, judge.json, heldout_pairs.json,
train_stats.json, JUDGE_CARD.md}; every number in the card is measured by this script on the test
split. The ONNX graph is checked against PyTorch with onnxruntime-web (Node, wasm) by
scripts/judge/check_onnx.ts. Training is seeded and runs a fixed number of steps; --max_minutes
only stops it early on a machine too busy to finish in time (the card then reports fewer steps).

The tie term (real vs. real, target 0.5) exists because without it the score learned length: in a
run without it (and with insertion-only repeats) the score of real held-out texts correlated with
their token count at r = −0.84, so between two fluent answers the shorter won 86% of the time.
"""
import argparse
import inspect
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEGRADATIONS = ("shuffle", "repeat", "truncate", "noise")
SENTENCE_END = (".", "!", "?", '."', '!"', '?"', ".'", "!'", "?'")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=20261201)
    p.add_argument("--corpus", default=os.path.join(ROOT, ".work", "corpus"))
    p.add_argument("--tokenizer", default=os.path.join(ROOT, "models", "default", "tokenizer.json"))
    p.add_argument("--out", default=os.path.join(ROOT, "models", "judges", "fluency"))
    p.add_argument("--train_texts", type=int, default=24000, help="real training texts (each gets 2 degradations)")
    p.add_argument("--max_length", type=int, default=64)
    p.add_argument("--d_model", type=int, default=96)
    p.add_argument("--n_layer", type=int, default=2)
    p.add_argument("--n_head", type=int, default=4)
    p.add_argument("--batch", type=int, default=32, help="pairs per step")
    p.add_argument("--steps", type=int, default=1200)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--tie_weight", type=float, default=0.5, help="weight of the real-vs-real tie loss")
    p.add_argument("--max_minutes", type=float, default=9.0, help="stop training early at this wall time")
    p.add_argument("--heldout_examples", type=int, default=3, help="fixture pairs per degradation")
    p.add_argument("--skip_check", action="store_true", help="do not run the onnxruntime-web check")
    return p.parse_args()


# ---------------------------------------------------------------------------------------------
# Tokenizer bridge (node + src/engine/tokenizer.ts)


def tokenizer_call(tokenizer_path, encode=(), decode=()):
    req = json.dumps({"encode": list(encode), "decode": [list(map(int, x)) for x in decode]})
    r = subprocess.run(["node", "--import", "tsx", os.path.join(ROOT, "scripts/judge/tokenize.ts"), tokenizer_path],
                       input=req, capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(r.stdout)


# ---------------------------------------------------------------------------------------------
# Degradations (all take a seeded random.Random)


def shuffle_words(words, rng):
    out = list(words)
    for _ in range(20):
        rng.shuffle(out)
        if out != list(words):
            break
    return " ".join(out)


def repeat_words(words, rng):
    """~20% of the words repeated 1–2 times. Half the time the repeats are inserted (a stutter:
    longer text), half the time they overwrite the words after them ("the cat sat on the mat" →
    "the the sat on on mat": same word count), so length alone never gives the degradation away."""
    k = max(1, round(0.2 * len(words)))
    chosen = sorted(rng.sample(range(len(words) - 1), min(k, len(words) - 1)))
    if rng.random() < 0.5:
        out = []
        for i, w in enumerate(words):
            out.append(w)
            if i in chosen:
                out.extend([w] * rng.randint(1, 2))
        return " ".join(out)
    out = list(words)
    for i in chosen:
        for j in range(i + 1, min(len(out), i + 1 + rng.randint(1, 2))):
            out[j] = out[i]
    return " ".join(out)


def truncate_words(words, rng):
    n = len(words)
    lo, hi = max(1, int(0.3 * n)), max(1, int(0.7 * n))
    # Never cut right after a sentence end: that would be a complete (fluent) shorter text.
    cuts = [m for m in range(lo, hi + 1) if m < n and not words[m - 1].endswith(SENTENCE_END)]
    m = rng.choice(cuts) if cuts else lo
    return " ".join(words[:m])


def noise_ids(ids, rng, vocab_size, eos_id):
    out = list(ids)
    positions = [i for i in range(len(out)) if rng.random() < 0.25] or [rng.randrange(len(out))]
    for i in positions:
        r = rng.randrange(vocab_size - 1)
        out[i] = r if r < eos_id else r + 1  # never the end-of-text token
    return out


# ---------------------------------------------------------------------------------------------
# Data


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [ln.strip() for ln in f if ln.strip()]


def build_pairs(texts, rng, tokenizer_path, max_length, vocab_size, eos_id, per_text_types):
    """texts → (real_ids, degraded_ids, type, real_text, degraded_text) for texts that fit the window."""
    # Cheap pre-filter before the (slow) tokenizer; the exact filter is on token counts below.
    cand = [t for t in texts if len(t.split()) >= 4 and len(t) <= 6 * max_length]
    real_ids = tokenizer_call(tokenizer_path, encode=cand)["encode"]
    kept = [(t, ids) for t, ids in zip(cand, real_ids) if len(ids) <= max_length - 1]
    jobs = []  # (index into kept, type, degraded text or None for noise)
    noise_jobs = []
    for i, (t, ids) in enumerate(kept):
        words = t.split()
        for typ in per_text_types(rng):
            if typ == "shuffle":
                jobs.append((i, typ, shuffle_words(words, rng)))
            elif typ == "repeat":
                jobs.append((i, typ, repeat_words(words, rng)))
            elif typ == "truncate":
                jobs.append((i, typ, truncate_words(words, rng)))
            else:
                jobs.append((i, typ, None))
                noise_jobs.append((len(jobs) - 1, noise_ids(ids, rng, vocab_size, eos_id)))
    # Noise is made on tokens, then decoded: the judge scores the text a user would see, re-encoded.
    decoded = tokenizer_call(tokenizer_path, decode=[ids for _, ids in noise_jobs])["decode"]
    for (j, _), text in zip(noise_jobs, decoded):
        i, typ, _ = jobs[j]
        jobs[j] = (i, typ, text)
    deg_ids = tokenizer_call(tokenizer_path, encode=[d for _, _, d in jobs])["encode"]
    pairs = []
    for (i, typ, d), dids in zip(jobs, deg_ids):
        t, ids = kept[i]
        if d == t:
            continue  # a degradation that changed nothing is no pair
        pairs.append((ids, dids, typ, t, d))
    return pairs, len(kept)


def model_input(ids, max_length, eos_id):
    return list(ids[: max_length - 1]) + [eos_id]


def collate(seqs, pad_id):
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), T), dtype=torch.long)
    for b, s in enumerate(seqs):
        ids[b, : len(s)] = torch.tensor(s, dtype=torch.long)
        mask[b, : len(s)] = 1
    return ids, mask


# ---------------------------------------------------------------------------------------------
# Model


class Block(nn.Module):
    """Pre-LN transformer block with hand-written attention (exports to plain ONNX ops)."""

    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)

    def forward(self, x, attn_bias):
        B, T, D = x.shape
        h = self.n_head
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q = q.reshape(B, T, h, D // h).transpose(1, 2)
        k = k.reshape(B, T, h, D // h).transpose(1, 2)
        v = v.reshape(B, T, h, D // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D // h)) + attn_bias
        y = F.softmax(att, dim=-1) @ v
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, D))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class FluencyJudge(nn.Module):
    def __init__(self, vocab_size, d, n_layer, n_head, max_length):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, d)
        self.pos = nn.Embedding(max_length, d)
        # Width-3 convolution: local n-gram features (a repeated or out-of-place neighbour), which
        # a 2-layer transformer with absolute positions is slow to learn from attention alone.
        self.conv = nn.Conv1d(d, d, kernel_size=3, padding=1)
        self.blocks = nn.ModuleList([Block(d, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, 1)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, input_ids, attention_mask):
        T = input_ids.shape[1]
        positions = torch.arange(T, device=input_ids.device).unsqueeze(0)
        x = self.tok(input_ids) + self.pos(positions)
        mask = attention_mask.to(x.dtype)
        # Padding is zeroed before the convolution, so the last real token sees the same (zero)
        # right neighbour whether or not the row is padded: scores do not depend on the batch.
        xm = x * mask.unsqueeze(-1)
        x = x + self.conv(xm.transpose(1, 2)).transpose(1, 2)
        # Padding keys get a large negative bias (not −inf: a finite value can never make NaNs).
        attn_bias = (1.0 - mask)[:, None, None, :] * -1e4
        for blk in self.blocks:
            x = blk(x, attn_bias)
        x = self.ln_f(x)
        pooled = (x * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        return self.head(pooled).squeeze(-1)


# ---------------------------------------------------------------------------------------------


@torch.no_grad()
def score_all(model, seqs, pad_id, batch=256):
    model.eval()
    out = []
    for i in range(0, len(seqs), batch):
        ids, mask = collate(seqs[i: i + batch], pad_id)
        out.extend(model(ids, mask).tolist())
    return out


def evaluate(model, pairs, max_length, eos_id, pad_id):
    real = score_all(model, [model_input(p[0], max_length, eos_id) for p in pairs], pad_id)
    deg = score_all(model, [model_input(p[1], max_length, eos_id) for p in pairs], pad_id)
    per = {t: [0, 0, 0] for t in DEGRADATIONS}  # correct, ties, n
    for p, sr, sd in zip(pairs, real, deg):
        c = per[p[2]]
        c[0] += sr > sd
        c[1] += sr == sd
        c[2] += 1
    res = {t: {"accuracy": c[0] / c[2], "ties": c[1], "pairs": c[2]} for t, c in per.items() if c[2]}
    n = sum(c[2] for c in per.values())
    res["overall"] = {"accuracy": sum(c[0] for c in per.values()) / n, "ties": sum(c[1] for c in per.values()), "pairs": n}
    return res, real, deg


def pearson(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy)


def export_onnx(model, path, pad_id):
    model.eval()
    ids, mask = collate([[1, 2, 3, 4], [5, 6]], pad_id)
    kwargs = dict(input_names=["input_ids", "attention_mask"], output_names=["scores"],
                  dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                "scores": {0: "batch"}},
                  opset_version=17, do_constant_folding=True, export_params=True)
    # The TorchScript exporter. Newer PyTorch defaults to the dynamo exporter and needs dynamo=False;
    # Debian's 1.13 has only the TorchScript one and rejects the keyword.
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    torch.onnx.export(model, (ids, mask), path, **kwargs)


def main():
    args = parse_args()
    t_start = time.time()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)

    with open(args.tokenizer, encoding="utf-8") as f:
        tok_json = json.load(f)
    vocab_size = len(tok_json["model"]["vocab"])
    eos_id = next(t["id"] for t in tok_json["added_tokens"] if t["content"] == "<|endoftext|>")
    vocab_size = max(vocab_size, eos_id + 1)
    pad_id = eos_id

    train_lines = read_lines(os.path.join(args.corpus, "train.txt"))
    test_lines = read_lines(os.path.join(args.corpus, "test.txt"))
    rng.shuffle(train_lines)
    # Two different degradations per training text; one of each kind per test text.
    train_pairs, n_train_texts = build_pairs(train_lines[: int(args.train_texts * 1.25)], rng, args.tokenizer,
                                             args.max_length, vocab_size, eos_id,
                                             lambda r: r.sample(DEGRADATIONS, 2))
    test_pairs, n_test_texts = build_pairs(test_lines, random.Random(args.seed + 1), args.tokenizer,
                                           args.max_length, vocab_size, eos_id, lambda r: list(DEGRADATIONS))
    print(f"data: {len(train_pairs)} train pairs from {n_train_texts} texts, {len(test_pairs)} test pairs "
          f"from {n_test_texts} texts ({time.time() - t_start:.0f}s)", flush=True)

    model = FluencyJudge(vocab_size, args.d_model, args.n_layer, args.n_head, args.max_length)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params} parameters", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98))
    warmup = max(1, args.steps // 20)

    def lr_at(step):
        if step < warmup:
            return args.lr * (step + 1) / warmup
        return args.lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, args.steps - warmup)))

    order = list(range(len(train_pairs)))
    data_rng = random.Random(args.seed + 2)
    data_rng.shuffle(order)
    cursor = 0
    t_train = time.time()
    steps_done = 0
    ema = None
    model.train()
    for step in range(args.steps):
        if (time.time() - t_train) / 60 > args.max_minutes:
            print(f"stopping at step {step}: {args.max_minutes} min limit", flush=True)
            break
        if cursor + args.batch > len(order):
            data_rng.shuffle(order)
            cursor = 0
        batch = [train_pairs[i] for i in order[cursor: cursor + args.batch]]
        cursor += args.batch
        seqs = [model_input(p[0], args.max_length, eos_id) for p in batch] + \
               [model_input(p[1], args.max_length, eos_id) for p in batch]
        ids, mask = collate(seqs, pad_id)
        s = model(ids, mask)
        s_real, s_deg = s[: len(batch)], s[len(batch):]
        # Bradley–Terry: −log σ(s_real − s_deg); a small score penalty keeps scores near 0 (only
        # differences are identified). Two real texts are equally fluent: a tie target (0.5) on
        # pairs of the batch's real texts stops the score from tracking length, which the
        # degradations would otherwise teach (noise adds tokens, truncation removes them).
        d_real = s_real - s_real.roll(1)
        tie = 0.5 * (F.softplus(d_real) + F.softplus(-d_real)) - math.log(2)
        loss = F.softplus(-(s_real - s_deg)).mean() + args.tie_weight * tie.mean() + 1e-3 * (s * s).mean()
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        steps_done = step + 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 100 == 0 or step == args.steps - 1:
            acc = (s_real > s_deg).float().mean().item()
            print(f"step {step:5d} loss {ema:.4f} batch acc {acc:.3f} lr {lr_at(step):.2e} "
                  f"{time.time() - t_train:.0f}s", flush=True)
    train_seconds = time.time() - t_train

    results, real_scores, deg_scores = evaluate(model, test_pairs, args.max_length, eos_id, pad_id)
    print(json.dumps(results, indent=1), flush=True)
    train_results, _, _ = evaluate(model, train_pairs[:4000], args.max_length, eos_id, pad_id)

    # A known limit, measured: how much the score of REAL held-out text follows its length.
    seen = {}
    for p, sr in zip(test_pairs, real_scores):
        seen[p[3]] = (len(p[0]), sr)
    length_r = pearson([v[0] for v in seen.values()], [v[1] for v in seen.values()])
    # And how often two real held-out texts of different lengths are ordered longer-first.
    items = list(seen.values())
    pr = random.Random(args.seed + 3)
    longer_wins, n_cmp = 0, 0
    for _ in range(4000):
        (la, sa), (lb, sb) = pr.sample(items, 2)
        if la != lb and sa != sb:
            n_cmp += 1
            longer_wins += (sa > sb) == (la > lb)

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    export_onnx(model, onnx_path, pad_id)
    shutil.copyfile(args.tokenizer, os.path.join(args.out, "tokenizer.json"))
    judge_json = {
        "format": "duelbook-judge",
        "version": 1,
        "name": "fluency",
        "kind": "pointwise",
        "description": "Prefers fluent English prose over shuffled, repeated, truncated or noisy text. Ignores the prompt.",
        "max_length": args.max_length,
        "input_names": {"input_ids": "input_ids", "attention_mask": "attention_mask"},
        "output_name": "scores",
        "pad_token_id": pad_id,
        "eos_token_id": eos_id,
        "append_eos": True,
        "template": "{completion}",
    }
    with open(os.path.join(args.out, "judge.json"), "w") as f:
        json.dump(judge_json, f, indent=2)
        f.write("\n")

    # Fixture pairs for the browser test: held-out texts, with the PyTorch scores of exactly the
    # model input the runtime builds, so ORT-web can be compared against PyTorch.
    fx_rng = random.Random(args.seed + 4)
    fixtures = []
    for typ in DEGRADATIONS:
        of_type = [i for i, p in enumerate(test_pairs) if p[2] == typ]
        for i in sorted(fx_rng.sample(of_type, args.heldout_examples)):
            p = test_pairs[i]
            fixtures.append({"degradation": typ, "real": p[3], "degraded": p[4],
                             "pytorch_scores": {"real": real_scores[i], "degraded": deg_scores[i]},
                             "real_ids": model_input(p[0], args.max_length, eos_id),
                             "degraded_ids": model_input(p[1], args.max_length, eos_id)})
    with open(os.path.join(args.out, "heldout_pairs.json"), "w") as f:
        json.dump({"note": "Held-out test-split pairs written by scripts/judge/train_judge.py; scores are "
                           "PyTorch float32 on the same model input.", "pairs": fixtures}, f, indent=1)
        f.write("\n")

    check = None
    if not args.skip_check:
        r = subprocess.run(["node", "--import", "tsx", os.path.join(ROOT, "scripts/judge/check_onnx.ts"), args.out],
                           capture_output=True, text=True, cwd=ROOT)
        print(r.stdout + r.stderr, flush=True)
        if r.returncode != 0:
            sys.exit("onnxruntime-web check failed")
        check = json.loads(r.stdout.strip().splitlines()[-1])

    stats = {
        "seed": args.seed, "parameters": n_params, "d_model": args.d_model, "n_layer": args.n_layer,
        "n_head": args.n_head, "max_length": args.max_length, "steps": steps_done, "batch_pairs": args.batch,
        "lr": args.lr, "tie_weight": args.tie_weight, "pad_token_id": pad_id, "train_pairs": len(train_pairs), "train_texts": n_train_texts,
        "test_pairs": len(test_pairs), "test_texts": n_test_texts, "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.time() - t_start, 1), "test": results, "train_subset": train_results,
        "real_text_score_length_pearson": length_r, "real_pairs_longer_preferred": longer_wins / n_cmp,
        "real_pairs_compared": n_cmp, "onnx_check": check, "torch": torch.__version__,
    }
    with open(os.path.join(args.out, "train_stats.json"), "w") as f:
        json.dump(stats, f, indent=1)
        f.write("\n")
    write_card(args.out, stats)
    print(f"done in {time.time() - t_start:.0f}s", flush=True)


def write_card(out, s):
    t = s["test"]
    rows = "\n".join(f"| {k} | {t[k]['accuracy'] * 100:.1f}% | {t[k]['pairs']} | {t[k]['ties']} |"
                     for k in (*DEGRADATIONS, "overall"))
    chk = s["onnx_check"]
    chk_line = (f"onnxruntime-web (Node, wasm EP) reproduces the PyTorch scores of the {chk['pairs'] * 2} fixture "
                f"texts to max |Δ| = {chk['max_abs_diff']:.2e}." if chk else "The onnxruntime-web check was skipped.")
    r = s["real_text_score_length_pearson"]
    length_note = ("Between two fluent texts its preference partly tracks length, not quality." if abs(r) >= 0.3
                   else "Length alone has little sway between two fluent texts.")
    card = f"""# Fluency judge

A small pointwise judge trained by this project (`scripts/judge/train_judge.py`). It gives every
text a score; P(a ≻ b) = σ(s_a − s_b). **It prefers fluent English prose** — held-out sentences
from the training corpus — **over degraded text**: words shuffled, words repeated, text cut short,
tokens replaced by random tokens. It ignores the prompt (`judge.json` template `{{completion}}`).

## Model

- Token + learned position embeddings (d = {s['d_model']}), a width-3 convolution (local n-gram features,
  residual), {s['n_layer']} pre-LN transformer layers with {s['n_head']} heads, masked mean-pool, linear head →
  one score. {s['parameters']:,} parameters.
- Input: `encode(text)[: {s['max_length'] - 1}] + [<|endoftext|>]`, right-padded with id {s['pad_token_id']}; `input_ids` and
  `attention_mask` int64 [batch, seq]; output `scores` float32 [batch]. ONNX opset 17.
- Tokenizer: `tokenizer.json`, a copy of `models/default/tokenizer.json` (byte-level BPE, vocab 4096).

## Training

- Data: `.work/corpus/train.txt` (State of the Union addresses and Moby-Dick, one text a line;
  `scripts/corpus/build_corpus.mjs`). {s['train_texts']:,} texts of ≥ 4 words that fit in {s['max_length'] - 1} tokens, each
  paired with two different degradations: {s['train_pairs']:,} (real, degraded) pairs.
- Degradations: `shuffle` (random word order), `repeat` (~20% of words repeated 1–2 times, inserted
  or written over the words after them, half and half),
  `truncate` (first 30–70% of the words, never cut at a sentence end), `noise` (~25% of tokens
  replaced by random vocabulary tokens, decoded and re-encoded).
- Loss: Bradley–Terry, −log σ(s_real − s_degraded); plus {s['tie_weight']} × a tie loss (target P = 0.5) between
  pairs of real texts, so that the score does not track length; plus 1e-3·s². AdamW,
  lr {s['lr']}, {s['batch_pairs']} pairs a step, {s['steps']} steps, cosine schedule, seed {s['seed']}, one CPU thread
  (PyTorch {s['torch']}): {s['train_seconds']:.0f} s of training, {s['total_seconds']:.0f} s for the whole script.

## Held-out pairwise accuracy

Measured by the training script on `.work/corpus/test.txt` (texts never trained on):
{s['test_texts']:,} held-out texts, one degraded version of each kind per text. Accuracy = share of
pairs where the real text scores strictly higher (an exact tie counts as wrong).

| degradation | accuracy | pairs | ties |
|---|---|---|---|
{rows}

(On {s['train_subset']['overall']['pairs']:,} training pairs: {s['train_subset']['overall']['accuracy'] * 100:.1f}%.)

{chk_line}

## Known limits

- It judges surface fluency only: not truthfulness, helpfulness, relevance to the prompt or
  safety. A fluent wrong answer beats a clumsy right one.
- Its idea of fluent is 19th–21st-century American political speeches and Moby-Dick.
- Only the first {s['max_length'] - 1} tokens are read: damage after that is invisible, and a long text
  truncated beyond that point looks complete.
- Length: on real held-out texts the score's Pearson correlation with token length is
  {s['real_text_score_length_pearson']:+.2f}; of {s['real_pairs_compared']:,} random pairs of real held-out texts of different lengths, the longer
  one scores higher in {s['real_pairs_longer_preferred'] * 100:.0f}% (50% = no length preference). {length_note}
- It was trained on the four degradations above only; other failure modes (wrong grammar in a
  plausible word order, off-topic text, repetition of whole sentences) are untested.
"""
    with open(os.path.join(out, "JUDGE_CARD.md"), "w") as f:
        f.write(card)


if __name__ == "__main__":
    main()
