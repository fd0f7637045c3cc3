#!/usr/bin/python3
"""Write bench/models/matmul.onnx: one MatMul node, the peer of our WGSL matmul in `npm run bench`.

  /usr/bin/python3 scripts/bench/make_matmul_onnx.py

Graph: C[M, N] = MatMul(A[M, K], B[K, N]), float32, every dimension symbolic (M, K, N), so one
file serves every benchmarked shape. Opset 17, IR version 8 (what onnxruntime-web 1.30 reads).
The file is a few hundred bytes and committed; rerun this only if the graph should change.
"""
import os

import onnx
from onnx import TensorProto, helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
OUT = os.path.join(ROOT, "bench/models/matmul.onnx")


def main():
    a = helper.make_tensor_value_info("A", TensorProto.FLOAT, ["M", "K"])
    b = helper.make_tensor_value_info("B", TensorProto.FLOAT, ["K", "N"])
    c = helper.make_tensor_value_info("C", TensorProto.FLOAT, ["M", "N"])
    node = helper.make_node("MatMul", ["A", "B"], ["C"], name="matmul")
    graph = helper.make_graph([node], "duelbook_bench_matmul", [a, b], [c])
    model = helper.make_model(graph, producer_name="duelbook-bench", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    onnx.save(model, OUT)
    print(f"wrote {os.path.relpath(OUT, ROOT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
