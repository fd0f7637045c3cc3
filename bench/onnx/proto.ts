/**
 * The few ONNX protobuf messages the benchmark writes, encoded by hand (no protobuf runtime in
 * the dependencies). Field numbers follow onnx/onnx.proto (proto2, so packed and unpacked
 * repeated scalars are both accepted by readers; we write them unpacked).
 */

const enc = new TextEncoder();

/** Little growable byte sink with the protobuf wire primitives. */
class Writer {
  private buf = new Uint8Array(256);
  private n = 0;

  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  varint(v: number | bigint): void {
    // int64 two's complement for negatives (10 bytes), as protobuf does.
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.n++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.n++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  float32(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.n, 4).setFloat32(0, v, true);
    this.n += 4;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

/** One message under construction: fields appended in order. */
export class Msg {
  private readonly w = new Writer();

  int(field: number, v: number | bigint): this {
    this.w.tag(field, 0);
    this.w.varint(v);
    return this;
  }
  ints(field: number, vs: readonly (number | bigint)[]): this {
    for (const v of vs) this.int(field, v);
    return this;
  }
  float(field: number, v: number): this {
    this.w.tag(field, 5);
    this.w.float32(v);
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.w.tag(field, 2);
    this.w.varint(b.length);
    this.w.bytes(b);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, enc.encode(s));
  }
  strs(field: number, ss: readonly string[]): this {
    for (const s of ss) this.str(field, s);
    return this;
  }
  msg(field: number, m: Msg): this {
    return this.bytes(field, m.finish());
  }
  msgs(field: number, ms: readonly Msg[]): this {
    for (const m of ms) this.msg(field, m);
    return this;
  }
  finish(): Uint8Array {
    return this.w.finish();
  }
}

// ------------------------------------------------------------------ ONNX messages

/** TensorProto.DataType values used here. */
export const DT = { FLOAT: 1, INT64: 7 } as const;

/** A dimension: a fixed size or a symbolic name. */
export type Dim = number | string;

export function valueInfo(name: string, elemType: number, dims: readonly Dim[]): Msg {
  const shape = new Msg();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Msg().int(1, d) : new Msg().str(2, d));
  const tensorType = new Msg().int(1, elemType).msg(2, shape);
  return new Msg().str(1, name).msg(2, new Msg().msg(1, tensorType));
}

/** Initializer with its data inline (raw little-endian bytes). */
export function tensorInline(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): Msg {
  const dt = data instanceof Float32Array ? DT.FLOAT : DT.INT64;
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Msg().ints(1, dims).int(2, dt).str(8, name).bytes(9, raw);
}

/** Float initializer stored as ONNX external data (a byte range of another file). */
export function tensorExternal(name: string, dims: readonly number[], location: string, offset: number, length: number): Msg {
  const entry = (k: string, v: string) => new Msg().str(1, k).str(2, v);
  return new Msg()
    .ints(1, dims)
    .int(2, DT.FLOAT)
    .str(8, name)
    .msgs(13, [entry('location', location), entry('offset', String(offset)), entry('length', String(length))])
    .int(14, 1);
}

export type AttrValue = { f: number } | { i: number } | { ints: readonly number[] };

export function node(opType: string, inputs: readonly string[], outputs: readonly string[], name: string, attrs: Record<string, AttrValue> = {}): Msg {
  const m = new Msg().strs(1, inputs).strs(2, outputs).str(3, name).str(4, opType);
  for (const [key, v] of Object.entries(attrs)) {
    const a = new Msg().str(1, key);
    // AttributeType: FLOAT = 1, INT = 2, INTS = 7
    if ('f' in v) a.float(2, v.f).int(20, 1);
    else if ('i' in v) a.int(3, v.i).int(20, 2);
    else a.ints(8, v.ints).int(20, 7);
    m.msg(5, a);
  }
  return m;
}

export function model(opts: {
  graphName: string;
  nodes: readonly Msg[];
  initializers: readonly Msg[];
  inputs: readonly Msg[];
  outputs: readonly Msg[];
  opset: number;
  doc: string;
}): Uint8Array {
  const graph = new Msg()
    .msgs(1, opts.nodes)
    .str(2, opts.graphName)
    .msgs(5, opts.initializers)
    .str(10, opts.doc)
    .msgs(11, opts.inputs)
    .msgs(12, opts.outputs);
  return new Msg()
    .int(1, 8) // IR version 8
    .str(2, 'duelbook-bench')
    .str(3, '1')
    .msg(7, graph)
    .msg(8, new Msg().str(1, '').int(2, opts.opset))
    .finish();
}
