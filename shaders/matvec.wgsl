// Matrix–vector products for the decode path (M ≤ 8 rows): a 64×64 tile would idle 63 of
// every 64 rows, and these shapes are bound by reading B once, so each kernel streams B with
// coalesced reads and keeps the few rows of A in registers / cache.
// Constants prepended by src/kernels/matmul.ts:
//   MR: rows of the output (1…8); THREADS = COLS*KS = ROWS*LANES;  TRANS_A, HAS_BIAS, ACC as in matmul.wgsl.
//   gemv   (B is [K,N]): COLS columns × KS k-slices per workgroup, reduced in shared memory.
//   gemv_t (B is [N,K], e.g. logits = x·wteᵀ): ROWS output columns × LANES lanes per
//          workgroup, each lane striding along the contiguous k dimension.

struct Params {
  M: u32,
  N: u32,
  K: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

// COLS*KS == ROWS*LANES == THREADS.
var<workgroup> red: array<f32, MR * THREADS>;

fn a_at(m: u32, k: u32) -> f32 {
  if (TRANS_A) { return A[k * p.M + m]; }
  return A[m * p.K + k];
}

fn store(m: u32, n: u32, s: f32) {
  var v = s;
  if (HAS_BIAS) { v += bias[n]; }
  let o = m * p.N + n;
  if (ACC) { v += C[o]; }
  C[o] = v;
}

@compute @workgroup_size(COLS, KS)
fn gemv(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let n = (wg.x + wg.y * nwg.x) * COLS + lid.x;
  var acc: array<f32, MR>;
  if (n < p.N) {
    for (var k = lid.y; k < p.K; k += KS) {
      let bk = B[k * p.N + n];
      for (var m = 0u; m < MR; m++) { acc[m] = fma(a_at(m, k), bk, acc[m]); }
    }
  }
  for (var m = 0u; m < MR; m++) { red[(m * KS + lid.y) * COLS + lid.x] = acc[m]; }
  workgroupBarrier();
  if (lid.y == 0u && n < p.N) {
    for (var m = 0u; m < MR; m++) {
      var s = 0.0;
      for (var j = 0u; j < KS; j++) { s += red[(m * KS + j) * COLS + lid.x]; }
      store(m, n, s);
    }
  }
}

@compute @workgroup_size(LANES, ROWS)
fn gemv_t(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let n = (wg.x + wg.y * nwg.x) * ROWS + lid.y;
  var acc: array<f32, MR>;
  if (n < p.N) {
    let base = n * p.K;
    for (var k = lid.x; k < p.K; k += LANES) {
      let bk = B[base + k];
      for (var m = 0u; m < MR; m++) { acc[m] = fma(a_at(m, k), bk, acc[m]); }
    }
  }
  // Tree reduction over the LANES lanes of each output column.
  for (var m = 0u; m < MR; m++) { red[(m * ROWS + lid.y) * LANES + lid.x] = acc[m]; }
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s >>= 1u) {
    if (lid.x < s) {
      for (var m = 0u; m < MR; m++) {
        let i = (m * ROWS + lid.y) * LANES + lid.x;
        red[i] += red[i + s];
      }
    }
    workgroupBarrier();
  }
  if (lid.x == 0u && n < p.N) {
    for (var m = 0u; m < MR; m++) { store(m, n, red[(m * ROWS + lid.y) * LANES]); }
  }
}
