#!/usr/bin/python3
"""Export the pretrained checkpoint (.work/pretrain/ckpt.pt) to models/default/ in Hugging Face GPT-2 layout.

  /usr/bin/python3 scripts/pretrain/export.py [--ckpt .work/pretrain/ckpt.pt]

Writes
  models/default/model.safetensors  F32, original `gpt2` tensor names without `transformer.` (wte.weight,
                                    wpe.weight, h.{i}.ln_1.*, h.{i}.attn.c_attn.* [C,3C] Conv1D layout, ...,
                                    ln_f.*); no lm_head (tied to wte)
  models/default/config.json        HF GPT2Config keys
  models/default/model.onnx         ONNX (opset 17) graph: input `input_ids` int64 [batch, seq], output `logits`
                                    float32 [batch, seq, vocab], dynamic batch/seq axes. To keep models/default
                                    small, the graph stores NO weights of its own: every parameter initializer is
                                    ONNX *external data* pointing into model.safetensors (location
                                    "model.safetensors", byte offset and length of that tensor's F32 data, which
                                    has exactly the raw little-endian layout ONNX expects). Load it with the
                                    directory as base path (onnxruntime: model path, or web `externalData:
                                    [{path: 'model.safetensors', data}]`).
  models/default/train_info.json    step, tokens, wall-clock seconds, arguments, machine
  models/default/train_log.csv      copy of .work/pretrain/log.csv
  models/default/lr_steps.csv       the learning rate of every step (replay: train.py --lr_file)
ONNX-vs-PyTorch logits are compared by `node scripts/pretrain/check_onnx.mjs` (onnxruntime-web, wasm backend).
The tokenizer files (tokenizer.json, tokenizer_config.json) are written by scripts/corpus/train_tokenizer.mjs.
"""
import argparse
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2 import GPT2, count_params, hf_config, load_safetensors, save_safetensors  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
MODEL_DIR = os.path.join(ROOT, "models/default")
EOS_ID = 4095


def safetensors_offsets(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    base = 8 + n
    return {k: (base + v["data_offsets"][0], v["data_offsets"][1] - v["data_offsets"][0])
            for k, v in header.items() if k != "__metadata__"}


def export_onnx(model, cfg, st_path, onnx_path):
    import onnx
    from onnx import TensorProto

    model = model.float().eval()
    dummy = torch.randint(0, cfg["vocab_size"], (2, 9))
    torch.onnx.export(model, (dummy,), onnx_path, input_names=["input_ids"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}},
                      opset_version=17, do_constant_folding=False, export_params=True)
    m = onnx.load(onnx_path)
    offs = safetensors_offsets(st_path)
    named = dict(model.named_parameters())
    n_ext = 0
    for init in m.graph.initializer:
        if init.name in offs:
            assert init.data_type == TensorProto.FLOAT
            assert list(init.dims) == list(named[init.name].shape), init.name
            off, length = offs[init.name]
            init.ClearField("raw_data")
            init.ClearField("float_data")
            init.data_location = TensorProto.EXTERNAL
            del init.external_data[:]
            for k, v in (("location", "model.safetensors"), ("offset", str(off)), ("length", str(length))):
                e = init.external_data.add()
                e.key, e.value = k, v
            n_ext += 1
    # (the exporter de-duplicates bit-identical parameters, e.g. untrained zero biases, so not every name needs
    # to appear; what matters is that no sizeable weight stays inline)
    inline = [(i.name, len(i.raw_data)) for i in m.graph.initializer if i.data_location != TensorProto.EXTERNAL]
    assert all(n < 4096 for _, n in inline), f"large inline initializers left: {inline[:5]}"
    m.doc_string = "Duelbook default GPT-2 policy; weights are external data in model.safetensors"
    onnx.save(m, onnx_path)
    onnx.checker.check_model(onnx_path)  # path form also validates the external data references
    return n_ext


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(ROOT, ".work/pretrain/ckpt.pt"))
    ap.add_argument("--out", default=MODEL_DIR)
    args = ap.parse_args()
    ck = torch.load(args.ckpt, map_location="cpu")
    cfg = ck["cfg"]
    model = GPT2(cfg)
    model.load_state_dict(ck["model"])
    model.eval()
    os.makedirs(args.out, exist_ok=True)
    st_path = os.path.join(args.out, "model.safetensors")
    sd = model.state_dict()
    meta = {"format": "pt", "step": ck["step"], "tokens": ck["tokens"], "n_params": count_params(model)}
    save_safetensors(st_path, sd, meta)
    # round-trip check
    back, _ = load_safetensors(st_path)
    assert set(back) == set(sd) and all(torch.equal(back[k], sd[k].float()) for k in sd)
    hc = hf_config(cfg, EOS_ID)
    json.dump(hc, open(os.path.join(args.out, "config.json"), "w"), indent=2)
    n_ext = export_onnx(model, cfg, st_path, os.path.join(args.out, "model.onnx"))
    # training provenance for the model card
    import platform, shutil
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    a = ck["args"]
    train_info = {"step": ck["step"], "tokens": ck["tokens"], "elapsed_s": ck["elapsed_s"], "final": ck.get("final"),
                  "n_params": count_params(model), "args": a,
                  "cmdline_args": " ".join(f"--{k} {a[k]}" for k in ("n_embd", "n_layer", "n_head", "batch", "warmup", "lr"))
                  + " --lr_file models/default/lr_steps.csv",
                  "machine": f"{os.cpu_count()} vCPU ({cpu}), torch {torch.__version__}"}
    json.dump(train_info, open(os.path.join(args.out, "train_info.json"), "w"), indent=1)
    log_csv = os.path.join(os.path.dirname(args.ckpt), "log.csv")
    if os.path.exists(log_csv):  # resumed runs can log a step twice: keep the last row per step
        lines = open(log_csv).read().strip().split("\n")
        rows = {}
        for l in lines[1:]:
            rows[int(l.split(",")[0])] = l
        open(os.path.join(args.out, "train_log.csv"), "w").write("\n".join([lines[0]] + [rows[k] for k in sorted(rows)]) + "\n")
    lr_csv = os.path.join(os.path.dirname(args.ckpt), "lr_steps.csv")
    if os.path.exists(lr_csv):  # the exact per-step learning rates (replay with train.py --lr_file)
        lines = open(lr_csv).read().strip().split("\n")
        rows = {}
        for l in lines[1:]:
            if int(l.split(",")[0]) < ck["step"]:
                rows[int(l.split(",")[0])] = l
        assert sorted(rows) == list(range(ck["step"])), "lr_steps.csv does not cover every step"
        open(os.path.join(args.out, "lr_steps.csv"), "w").write("\n".join([lines[0]] + [rows[k] for k in sorted(rows)]) + "\n")
    info = {"ckpt_step": ck["step"], "tokens": ck["tokens"], "final": ck.get("final"), "n_params": count_params(model),
            "onnx_external_initializers": n_ext}
    print(json.dumps(info))
    sizes = {f: os.path.getsize(os.path.join(args.out, f)) for f in sorted(os.listdir(args.out))}
    print(json.dumps(sizes), "total MB", round(sum(sizes.values()) / 1e6, 2))


if __name__ == "__main__":
    main()
