#!/usr/bin/python3
"""Pretrain the default Duelbook policy: a small GPT-2 on SOTU + Moby-Dick (CPU, PyTorch).

Full pipeline, in order (run from the repository root; Debian's /usr/bin/python3 has torch):
  1. node scripts/corpus/build_corpus.mjs          # .work/corpus/{train,test}.txt
  2. node scripts/corpus/train_tokenizer.mjs       # models/default/tokenizer{,_config}.json, .work/corpus/*.ids*
  3. node scripts/corpus/verify_tokenizer.mjs      # HF tokenizers.js == our encoder on 200 held-out texts
  4. nice -n 10 /usr/bin/python3 scripts/pretrain/train.py --n_embd 256 --n_layer 4 --n_head 4 --batch 16 \
        --warmup 100 --lr 1.5e-3 --lr_file models/default/lr_steps.csv   # .work/pretrain/{ckpt.pt,log.csv}
     (replays the shipped run exactly; the original run used --time_budget_minutes/--resume/--rewarm_at,
      see models/default/MODEL_CARD.md)
  5. /usr/bin/python3 scripts/pretrain/export.py   # models/default/{model.safetensors,config.json,model.onnx}
  6. node scripts/corpus/make_prompts.mjs          # models/default/prompts.json
  7. /usr/bin/python3 scripts/pretrain/evaluate.py # models/default/{eval.json,loss_curve.png,MODEL_CARD.md}
  8. /usr/bin/python3 scripts/golden/make_fixtures.py  # tests/golden/...

Training: packed windows of n_positions+1 tokens from the train stream (every text is preceded by
<|endoftext|>); each window starts at a text start (an EOS token, drawn with a seeded generator), so
position 0 is always EOS, as at inference. AdamW (betas 0.9/0.95, wd 0.1 on matrices only), linear
warmup then cosine decay to 10% of peak, grad-clip 1.0, torch.set_num_threads(2), seed 1234.
A checkpoint (model + optimizer, resumable with --resume) is written every ~5 minutes (and at the end)
to .work/pretrain/ckpt.pt; train loss every
10 steps and held-out loss (first 400 test texts) every 250 steps go to .work/pretrain/log.csv.
Phase 2 (`--resume --rewarm_at S`): continue the same run (same optimizer state and data stream) with a
second warmup to --rewarm_lr and a second cosine. The shipped model used both phases; the merged per-step
LR file reproduces the whole run with `--lr_file`.
`--probe` measures tokens/s for a few candidate sizes instead of training.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2 import GPT2, count_params  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
CORPUS = os.path.join(ROOT, ".work/corpus")
OUTDIR = os.path.join(ROOT, ".work/pretrain")
EOS_ID = 4095

DEFAULT = dict(vocab_size=4096, n_positions=128, n_embd=256, n_layer=4, n_head=4, layer_norm_epsilon=1e-5)


def load_data():
    stream = np.fromfile(os.path.join(CORPUS, "train.ids.bin"), dtype="<u2").astype(np.int64)
    test = json.load(open(os.path.join(CORPUS, "test.ids.json")))
    return torch.from_numpy(stream), test


def batch_sampler(stream, T, B, seed):
    starts = torch.nonzero(stream[: len(stream) - T - 1] == EOS_ID).flatten()
    g = torch.Generator().manual_seed(seed)
    offs = torch.arange(T + 1)
    while True:
        idx = starts[torch.randint(len(starts), (B,), generator=g)]
        w = stream[idx[:, None] + offs[None]]
        yield w[:, :-1], w[:, 1:]


def heldout_loss(model, test, n_texts, T):
    """Mean NLL per token over [EOS] + text + [EOS] sequences (predicting text tokens and final EOS)."""
    model.eval()
    tot, cnt = 0.0, 0
    with torch.no_grad():
        seqs = [[EOS_ID] + t[: T - 1] + [EOS_ID] for t in test[:n_texts]]
        for i in range(0, len(seqs), 64):
            chunk = seqs[i:i + 64]
            L = max(len(s) for s in chunk)
            ids = torch.full((len(chunk), L), EOS_ID, dtype=torch.long)
            tgt = torch.full((len(chunk), L - 1), -100, dtype=torch.long)
            for j, s in enumerate(chunk):
                ids[j, : len(s)] = torch.tensor(s)
                tgt[j, : len(s) - 1] = torch.tensor(s[1:])
            logits = model(ids[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100, reduction="sum")
            tot += loss.item()
            cnt += (tgt != -100).sum().item()
    model.train()
    return tot / cnt


def make_optimizer(model, lr, wd):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95), eps=1e-8)


def probe(stream, args):
    cands = [dict(n_embd=192, n_layer=6, n_head=6), dict(n_embd=256, n_layer=4, n_head=4), dict(n_embd=256, n_layer=6, n_head=8)]
    for c in cands:
        cfg = dict(DEFAULT, **c)
        torch.manual_seed(0)
        model = GPT2(cfg)
        model.init_gpt2()
        opt = make_optimizer(model, 1e-3, 0.1)
        it = batch_sampler(stream, cfg["n_positions"], args.batch, 0)
        times = []
        for s in range(args.probe_steps):
            x, y = next(it)
            t0 = time.time()
            loss = F.cross_entropy(model(x).reshape(-1, cfg["vocab_size"]), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            times.append(time.time() - t0)
        dt = float(np.median(times[2:]))
        print(json.dumps({**c, "params": count_params(model), "batch": args.batch, "sec_per_step": round(dt, 3),
                          "tokens_per_s": round(args.batch * cfg["n_positions"] / dt), "loss": round(loss.item(), 3)}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n_embd", type=int, default=DEFAULT["n_embd"])
    ap.add_argument("--n_layer", type=int, default=DEFAULT["n_layer"])
    ap.add_argument("--n_head", type=int, default=DEFAULT["n_head"])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--eval_every", type=int, default=250)
    ap.add_argument("--ckpt_minutes", type=float, default=5.0)
    ap.add_argument("--max_minutes", type=float, default=58.0, help="hard stop (saves a checkpoint) if exceeded")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--time_budget_minutes", type=float, default=0.0)
    ap.add_argument("--lr_file", default="", help="replay the per-step LR of a previous run (lr_steps.csv)")
    ap.add_argument("--t_warm", type=float, default=None, help="on --resume of a pre-checkpoint-t_warm run: the elapsed s at warmup end")
    ap.add_argument("--rewarm_at", type=int, default=0, help="phase 2: from this step, re-warm to --rewarm_lr")
    ap.add_argument("--rewarm_lr", type=float, default=6e-4)
    ap.add_argument("--rewarm_warmup", type=int, default=50)
    ap.add_argument("--resume", action="store_true", help="continue from .work/pretrain/ckpt.pt (same arguments)")
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--probe_steps", type=int, default=12)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    stream, test = load_data()
    if args.probe:
        return probe(stream, args)

    cfg = dict(DEFAULT, n_embd=args.n_embd, n_layer=args.n_layer, n_head=args.n_head)
    T = cfg["n_positions"]
    os.makedirs(OUTDIR, exist_ok=True)
    model = GPT2(cfg)
    model.init_gpt2(generator=torch.Generator().manual_seed(args.seed))
    opt = make_optimizer(model, args.lr, args.wd)
    n_params = count_params(model)
    print(f"params {n_params}  cfg {cfg}  args {vars(args)}  train tokens {len(stream)}", flush=True)

    # LR schedule. Default: linear warmup, then cosine to 10% of peak over `steps`. With --time_budget_minutes
    # the cosine runs on progress = max(step fraction, wall-clock fraction of the budget left after warmup),
    # and training ends when progress reaches 1, so the decay completes even on a contended machine. Every
    # step's LR is appended to .work/pretrain/lr_steps.csv; --lr_file replays such a file exactly (same
    # number of steps, same LR per step), which reproduces a time-budgeted run without the wall clock.
    replay = None
    if args.lr_file:
        replay = [float(l.split(",")[1]) for l in open(args.lr_file).read().strip().split("\n")[1:]]
        args.steps = len(replay)
    state = {"t_warm": None, "done": False}

    def cosine(p):
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))

    def progress(step, elapsed):
        p = (step - args.warmup) / max(1, args.steps - args.warmup)
        if args.time_budget_minutes and state["t_warm"] is not None:
            budget = args.time_budget_minutes * 60 - state["t_warm"]
            p = max(p, (elapsed - state["t_warm"]) / max(1.0, budget))
        return p

    def lr_at(step, elapsed=0.0):
        if replay is not None:
            return replay[step]
        if args.rewarm_at and step >= args.rewarm_at:  # phase 2: warmup to rewarm_lr, cosine to 10% of it
            s2, W = step - args.rewarm_at, args.rewarm_warmup
            if s2 < W:
                return args.rewarm_lr * (s2 + 1) / W
            if state.get("t_warm2") is None:
                state["t_warm2"] = elapsed
            p = (s2 - W) / max(1, args.steps - args.rewarm_at - W)
            if args.time_budget_minutes:
                p = max(p, (elapsed - state["t_warm2"]) / max(1.0, args.time_budget_minutes * 60 - state["t_warm2"]))
            if p >= 1.0:
                state["done"] = True
            return args.rewarm_lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        if state["t_warm"] is None:
            state["t_warm"] = elapsed
        p = progress(step, elapsed)
        if p >= 1.0:
            state["done"] = True
        return cosine(p)

    it = batch_sampler(stream, T, args.batch, args.seed)
    start_step, prev_elapsed = 0, 0.0
    if args.resume:  # exact continuation: model, optimizer, and the data sampler fast-forwarded
        ck = torch.load(os.path.join(OUTDIR, "ckpt.pt"), map_location="cpu")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        start_step, prev_elapsed = ck["step"], ck["elapsed_s"]
        state["t_warm"] = ck.get("t_warm", args.t_warm)
        for _ in range(start_step):
            next(it)
        log = open(os.path.join(OUTDIR, "log.csv"), "a")
        lrlog = open(os.path.join(OUTDIR, "lr_steps.csv"), "a")
        print(f"resumed at step {start_step}", flush=True)
    else:
        log = open(os.path.join(OUTDIR, "log.csv"), "w")
        log.write("step,tokens,elapsed_s,lr,train_loss,heldout_loss\n")
        lrlog = open(os.path.join(OUTDIR, "lr_steps.csv"), "w")
        lrlog.write("step,lr\n")
    t_start = time.time() - prev_elapsed
    last_ckpt = t_start
    run_loss, run_n = 0.0, 0

    def save(step, final=False):
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "cfg": cfg, "t_warm": state["t_warm"], "step": step, "tokens": step * args.batch * T,
                    "elapsed_s": time.time() - t_start, "args": vars(args), "n_params": n_params, "final": final},
                   os.path.join(OUTDIR, "ckpt.tmp"))
        os.replace(os.path.join(OUTDIR, "ckpt.tmp"), os.path.join(OUTDIR, "ckpt.pt"))

    step = start_step - 1
    for step in range(start_step, args.steps):
        cur_lr = lr_at(step, time.time() - t_start)
        for gp in opt.param_groups:
            gp["lr"] = cur_lr
        lrlog.write(f"{step},{cur_lr!r}\n")
        lrlog.flush()
        x, y = next(it)
        loss = F.cross_entropy(model(x).reshape(-1, cfg["vocab_size"]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if not math.isfinite(loss.item()):
            raise SystemExit(f"non-finite loss at step {step}")
        run_loss += loss.item()
        run_n += 1
        el = time.time() - t_start
        last = step == args.steps - 1 or state["done"]
        ho = ""
        if (step + 1) % args.eval_every == 0 or last or step == 0:
            ho = f"{heldout_loss(model, test, 400, T):.4f}"
        if (step + 1) % 10 == 0 or ho:
            log.write(f"{step + 1},{(step + 1) * args.batch * T},{el:.1f},{cur_lr:.6g},{run_loss / run_n:.4f},{ho}\n")
            log.flush()
            print(f"step {step + 1}/{args.steps} loss {run_loss / run_n:.4f} heldout {ho} lr {cur_lr:.2e} "
                  f"{el:.0f}s {(step + 1) * args.batch * T / el:.0f} tok/s", flush=True)
            run_loss, run_n = 0.0, 0
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save(step + 1)
            last_ckpt = time.time()
        if last:
            break
        if el > args.max_minutes * 60:
            print("time limit reached; stopping early", flush=True)
            break
    save(step + 1, final=True)
    print(f"done: {step + 1} steps, {(step + 1) * args.batch * T} tokens, {time.time() - t_start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
