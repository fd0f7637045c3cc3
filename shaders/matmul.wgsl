// Tiled matmul C[M,N] = op(A)·op(B) (+ bias[N]) (+ C when accumulating), any M, N, K.
// Constants prepended by src/kernels/matmul.ts:
//   TRANS_A, TRANS_B: A stored [K,M] / B stored [N,K];  HAS_BIAS, ACC: epilogue options.
//   TM × TN: output tile per workgroup; TK: k-slab staged in shared memory per iteration;
//   WX × WY: threads, each owning a 4×4 micro-tile (TM = 4·WY, TN = 4·WX).
//   SPLIT_K: workgroup z takes only k in [z·KC, (z+1)·KC) and writes its partial product,
//   with no epilogue, to C at z·M·N; `splitk_reduce` then sums the partials in z order and
//   applies bias and accumulate. For outputs too small to fill the device and a long K (the
//   LM head's input gradient: K = vocabulary).
// Shared memory holds the slab as vec4s along m (As) and n (Bs), so the inner loop is two
// 16-byte shared loads per 16 FMAs: a broadcast of the thread's 4 rows of A and 4
// consecutive columns of B (consecutive threads → consecutive vec4s, conflict-free).
// Global loads stay scalar and bounds-checked, so no alignment of M, N or K is assumed;
// they walk each operand in its memory order so neighbouring threads read neighbouring words.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  KC: u32, // k per split (K when not splitting); a multiple of TK
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

// Rows padded by one vec4: the non-transposed A load (and the transposed B load) stores
// with k varying fastest, which an unpadded 64-float stride would put into a single bank.
const AS: u32 = TM / 4u + 1u;
const BS: u32 = TN / 4u + 1u;
var<workgroup> As: array<vec4<f32>, TK * AS>; // As[k·AS + m/4][m%4]
var<workgroup> Bs: array<vec4<f32>, TK * BS>; // Bs[k·BS + n/4][n%4]

const THREADS: u32 = WX * WY;
const A_LOADS: u32 = (TM * TK + THREADS - 1u) / THREADS;
const B_LOADS: u32 = (TN * TK + THREADS - 1u) / THREADS;

fn load_a(row0: u32, k0: u32, li: u32) {
  for (var i = 0u; i < A_LOADS; i++) {
    let e = li + i * THREADS;
    if (e < TM * TK) {
      var mm: u32;
      var kk: u32;
      if (TRANS_A) { kk = e / TM; mm = e % TM; } else { mm = e / TK; kk = e % TK; }
      let gm = row0 + mm;
      let gk = k0 + kk;
      var v = 0.0;
      if (gm < p.M && gk < p.K) {
        if (TRANS_A) { v = A[gk * p.M + gm]; } else { v = A[gm * p.K + gk]; }
      }
      As[kk * AS + mm / 4u][mm % 4u] = v;
    }
  }
}

fn load_b(col0: u32, k0: u32, li: u32) {
  for (var i = 0u; i < B_LOADS; i++) {
    let e = li + i * THREADS;
    if (e < TN * TK) {
      var nn: u32;
      var kk: u32;
      if (TRANS_B) { nn = e / TK; kk = e % TK; } else { kk = e / TN; nn = e % TN; }
      let gn = col0 + nn;
      let gk = k0 + kk;
      var v = 0.0;
      if (gn < p.N && gk < p.K) {
        if (TRANS_B) { v = B[gn * p.K + gk]; } else { v = B[gk * p.N + gn]; }
      }
      Bs[kk * BS + nn / 4u][nn % 4u] = v;
    }
  }
}

@compute @workgroup_size(WX, WY)
fn matmul(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let row0 = wg.y * TM;
  let col0 = wg.x * TN;
  var acc: array<vec4<f32>, 4>; // acc[i] = row 4·ty + i, columns 4·tx … 4·tx + 3
  // Loads past K read zeros (load_a / load_b), so a split's last slab may overrun its end
  // only when it is the last split; KC being a multiple of TK keeps the others exact.
  let kBegin = wg.z * p.KC;
  let kEnd = min(p.K, kBegin + p.KC);

  for (var k0 = kBegin; k0 < kEnd; k0 += TK) {
    load_a(row0, k0, li);
    load_b(col0, k0, li);
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let a = As[kk * AS + lid.y];
      let b = Bs[kk * BS + lid.x];
      acc[0] = fma(vec4<f32>(a.x), b, acc[0]);
      acc[1] = fma(vec4<f32>(a.y), b, acc[1]);
      acc[2] = fma(vec4<f32>(a.z), b, acc[2]);
      acc[3] = fma(vec4<f32>(a.w), b, acc[3]);
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (c >= p.N) { break; }
      var v = acc[i][j];
      let o = r * p.N + c;
      if (SPLIT_K) {
        C[wg.z * p.M * p.N + o] = v;
      } else {
        if (HAS_BIAS) { v += bias[c]; }
        if (ACC) { v += C[o]; }
        C[o] = v;
      }
    }
  }
}

// C[o] = Σ_z P[z·M·N + o] (+ bias) (+ C), z ascending: the same bits for the same shapes.
// Bindings: A = the partials P, bias, C (B unused, bound to P).
@compute @workgroup_size(256)
fn splitk_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) ng: vec3<u32>) {
  let o = gid.x + gid.y * ng.x * 256u;
  let MN = p.M * p.N;
  if (o >= MN) { return; }
  let splits = (p.K + p.KC - 1u) / p.KC;
  var v = 0.0;
  for (var z = 0u; z < splits; z++) { v += A[z * MN + o]; }
  if (HAS_BIAS) { v += bias[o % p.N]; }
  if (ACC) { v += C[o]; }
  C[o] = v;
}
