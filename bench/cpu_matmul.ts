/**
 * GFLOP/s of the plain-JS reference matmul against the WebAssembly SIMD one, at the shapes one
 * training step of the 4.2M-parameter policy runs (640 tokens, d=256, MLP 1024, vocab 4096).
 *
 *   npx tsx bench/cpu_matmul.ts
 *
 * Median of 5 timed calls after warm-up, single thread. matmulWasm's time includes everything
 * the CPU backend would pay: copies into wasm memory, transposes, padding and the copy back.
 * Wall-clock GFLOP/s is what a user sees; on a machine shared with other jobs it also counts the
 * time this process waited for a core, so the CPU-time column (process.cpuUsage: time actually
 * spent running) is printed beside it, and so is the load average.
 */
import os from 'node:os';
import { Rng } from '../src/engine/rng';
import { matmulRef } from '../src/kernels/reference';
import { matmulWasm, wasmSimdAvailable } from '../src/kernels/wasm/matmul';

interface Shape {
  name: string;
  M: number;
  K: number;
  N: number;
  transA: boolean;
  transB: boolean;
  /** Calls per timed sample, for shapes too small to time one call at a time. */
  reps?: number;
}

const SHAPES: Shape[] = [
  { name: 'qkv', M: 640, K: 256, N: 768, transA: false, transB: false },
  { name: 'attn proj', M: 640, K: 256, N: 256, transA: false, transB: false },
  { name: 'mlp down', M: 640, K: 1024, N: 256, transA: false, transB: false },
  { name: 'mlp up', M: 640, K: 256, N: 1024, transA: false, transB: false },
  { name: 'lm head (transB)', M: 640, K: 256, N: 4096, transA: false, transB: true },
  { name: 'weight grad (transA)', M: 256, K: 640, N: 1024, transA: true, transB: false },
  // Not training shapes: one-token decode, where copying B into wasm memory each call dominates.
  { name: 'decode qkv (M=1)', M: 1, K: 256, N: 768, transA: false, transB: false, reps: 200 },
  { name: 'decode lm head (M=1)', M: 1, K: 256, N: 4096, transA: false, transB: true, reps: 50 },
];

const RUNS = 5;

function randn(rng: Rng, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  return x;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Median wall-clock and median CPU time of RUNS calls, in ms. */
function median(fn: () => void, warmup: number): { wall: number; cpu: number } {
  for (let i = 0; i < warmup; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  const mid = (xs: number[]): number => xs.sort((x, y) => x - y)[RUNS >> 1]!;
  return { wall: mid(wall), cpu: mid(cpu) };
}

if (!wasmSimdAvailable()) throw new Error('WebAssembly SIMD is not available in this runtime');

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} CPUs, ` +
    `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
);
console.log(`median of ${RUNS} after warm-up; GFLOP/s = 2·M·K·N / time (wall clock | CPU time)\n`);
console.log('shape                  M×K×N              ref GF/s      wasm GF/s    speedup       rel.err');

let loadBefore = os.loadavg()[0]!;
for (const s of SHAPES) {
  const rng = new Rng(`bench/${s.name}`);
  const a = randn(rng, s.M * s.K);
  const b = randn(rng, s.K * s.N);
  const outRef = new Float32Array(s.M * s.N);
  const outWasm = new Float32Array(s.M * s.N);
  const reps = s.reps ?? 1;
  const flops = 2 * s.M * s.K * s.N * reps;
  const ref = median(() => {
    for (let r = 0; r < reps; r++) matmulRef(a, b, outRef, s.M, s.K, s.N, s.transA, s.transB, null, false);
  }, 1);
  const wasm = median(() => {
    for (let r = 0; r < reps; r++) matmulWasm(a, b, outWasm, s.M, s.K, s.N, s.transA, s.transB, null, false);
  }, 3);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < outRef.length; i++) {
    diff = Math.max(diff, Math.abs(outRef[i] - outWasm[i]));
    scale = Math.max(scale, Math.abs(outRef[i]));
  }
  const gf = (t: { wall: number; cpu: number }): string =>
    `${(flops / t.wall / 1e6).toFixed(1).padStart(5)} | ${(flops / t.cpu / 1e6).toFixed(1).padStart(4)}`;
  console.log(
    `${s.name.padEnd(22)} ${`${s.M}×${s.K}×${s.N}`.padEnd(14)} ${gf(ref)}  ${gf(wasm)}  ` +
      `${(ref.wall / wasm.wall).toFixed(1).padStart(5)}x | ${(ref.cpu / wasm.cpu).toFixed(1).padStart(4)}x  ` +
      `${(diff / scale).toExponential(1)}`,
  );
  loadBefore = Math.max(loadBefore, os.loadavg()[0]!);
}
console.log(`\nhighest 1-minute load average seen: ${loadBefore.toFixed(1)} on ${os.cpus().length} CPUs`);
