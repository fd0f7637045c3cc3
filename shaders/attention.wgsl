// Causal multi-head attention: the fused training forward, scores + softmax (or their
// backward), weighted sums, and the KV-cache write. Every operand is addressed per (batch b, head h) as
//   base = b·sb + h·sh + off,  row r at base + r·sr,  D contiguous floats per row,
// so the same kernels read q/k/v straight out of the packed qkv [B·T, 3C] (sr = 3C), out of
// a KV cache [B, H, maxT, D] (sr = D), or dy [B·T, C] (sr = C), with no repacking.
// Weight matrices (probs, dS, cached-attention scratch) are [B, H, T, Lk], Lk = past + T.
//
// Constants prepended by src/kernels/attention.ts:
//   D: head size; WG: threads per workgroup (power of two); RB: query rows per workgroup;
//   SJB / PJB: keys per shared-memory tile in attn_scores / attn_pv;
//   BACKWARD: attn_scores computes dS = P ⊙ (dP − rowsum(P ⊙ dP)) instead of softmax;
//   TRANS_W: attn_pv multiplies by Wᵀ (dK = dSᵀ·Q, dV = Pᵀ·dY) instead of W;
//   FR / FK: query rows (one per thread) and keys per shared-memory tile in attn_fused;
//   LSE_MODE (attn_scores, forward): 0 softmax; 2 the softmax recomputed from each row's
//   log-sum-exp in L [B, H, T] (exp(s − lse): no max, no sum), which attn_fused wrote, so the
//   training pass keeps T floats per row instead of the [T, T] probabilities.
//
// Grid: (row blocks, H, B). One workgroup per (b, h, block of RB rows).

struct Params {
  T: u32,     // query rows per (b, h)
  past: u32,  // absolute position of query row 0 (cached attention)
  Lk: u32,    // row length of the weight matrix
  H: u32,
  a_sb: u32, a_sh: u32, a_sr: u32, a_off: u32, // row operand of attn_scores (q or dy)
  b_sb: u32, b_sh: u32, b_sr: u32, b_off: u32, // key-indexed operand (k, v, or the X of attn_pv)
  o_sb: u32, o_sh: u32, o_sr: u32, o_off: u32, // output of attn_pv
  scale: f32,
  R: u32,     // output rows of attn_pv (T, or Lk with TRANS_W)
  nB: u32,    // batch (kv_write)
  maxT: u32,  // cache length (kv_write)
  C: u32,     // model width (kv_write)
  v_sb: u32, v_sh: u32, v_sr: u32, v_off: u32, // values of attn_fused
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> Bm: array<f32>;
@group(0) @binding(3) var<storage, read> P: array<f32>;
@group(0) @binding(4) var<storage, read_write> S: array<f32>;
@group(0) @binding(5) var<storage, read> W: array<f32>;
@group(0) @binding(6) var<storage, read> X: array<f32>;
@group(0) @binding(7) var<storage, read_write> O: array<f32>;
@group(0) @binding(8) var<storage, read_write> kc: array<f32>;
@group(0) @binding(9) var<storage, read_write> vc: array<f32>;
@group(0) @binding(10) var<storage, read_write> L: array<f32>;

const SPT: u32 = (RB * SJB + WG - 1u) / WG; // score pairs per thread per tile
const OPT: u32 = (RB * D + WG - 1u) / WG;   // outputs per thread in attn_pv

var<workgroup> qs: array<f32, RB * D>;   // the block's query rows
var<workgroup> ks: array<f32, D * SJB>;  // key tile, transposed: ks[d·SJB + j]
var<workgroup> ws: array<f32, RB * PJB>; // weight tile: ws[r·PJB + j]
var<workgroup> xs: array<f32, PJB * D>;  // X tile: xs[j·D + d]

// Forward: S = softmax(scale·A·Bᵀ) row-wise over keys 0…past+row, zeros beyond.
// Backward (A = dy, B = v, P = probs): S = P ⊙ (dP − rowsum(P ⊙ dP)), dP = A·Bᵀ.
// The raw dot products go to S in global memory first (a row can be 1024 keys, too long for
// shared memory once RB rows share a workgroup), then a row pass normalises them in place.
@compute @workgroup_size(WG)
fn attn_scores(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r0 = wg.x * RB;
  let h = wg.y;
  let b = wg.z;
  if (r0 >= p.T) { return; }
  let rows = min(RB, p.T - r0);
  let a_base = b * p.a_sb + h * p.a_sh + p.a_off;
  let b_base = b * p.b_sb + h * p.b_sh + p.b_off;
  let s_base = (b * p.H + h) * p.T * p.Lk;

  for (var e = lid; e < RB * D; e += WG) {
    let r = e / D;
    var v = 0.0;
    if (r < rows) { v = A[a_base + (r0 + r) * p.a_sr + e % D]; }
    qs[e] = v;
  }

  var sc = p.scale;
  if (BACKWARD) { sc = 1.0; }
  let j_end = p.past + r0 + rows; // keys the block's last row can see
  for (var j0 = 0u; j0 < j_end; j0 += SJB) {
    workgroupBarrier(); // previous tile fully consumed (and qs visible on the first trip)
    for (var e = lid; e < SJB * D; e += WG) {
      let jj = e / D;
      let d = e % D;
      var v = 0.0;
      if (j0 + jj < j_end) { v = Bm[b_base + (j0 + jj) * p.b_sr + d]; }
      ks[d * SJB + jj] = v;
    }
    workgroupBarrier();
    for (var i = 0u; i < SPT; i++) {
      let e = lid + i * WG;
      let r = e / SJB;
      let jj = e % SJB;
      let j = j0 + jj;
      if (e < RB * SJB && r < rows && j <= p.past + r0 + r) {
        var s = 0.0;
        for (var d = 0u; d < D; d++) { s = fma(qs[r * D + d], ks[d * SJB + jj], s); }
        S[s_base + (r0 + r) * p.Lk + j] = s * sc;
      }
    }
  }
  storageBarrier(); // the row pass reads scores written by other invocations

  for (var r = 0u; r < rows; r++) {
    let off = s_base + (r0 + r) * p.Lk;
    let valid = p.past + r0 + r + 1u;
    if (BACKWARD) {
      var dot = 0.0;
      for (var j = lid; j < valid; j += WG) { dot = fma(P[off + j], S[off + j], dot); }
      let tot = wg_sum(dot, lid);
      for (var j = lid; j < p.Lk; j += WG) {
        var v = 0.0;
        if (j < valid) { v = P[off + j] * (S[off + j] - tot); }
        S[off + j] = v;
      }
    } else if (LSE_MODE == 2u) {
      let lse = L[(b * p.H + h) * p.T + r0 + r];
      for (var j = lid; j < p.Lk; j += WG) {
        var v = 0.0;
        if (j < valid) { v = exp(S[off + j] - lse); }
        S[off + j] = v;
      }
    } else {
      var m = -3.4028234e38;
      for (var j = lid; j < valid; j += WG) { m = max(m, S[off + j]); }
      let mx = wg_max(m, lid);
      var sum = 0.0;
      for (var j = lid; j < valid; j += WG) { sum += exp(S[off + j] - mx); }
      let tot = wg_sum(sum, lid);
      let inv = 1.0 / tot;
      // Each invocation rewrites only the entries it read above.
      for (var j = lid; j < p.Lk; j += WG) {
        var v = 0.0;
        if (j < valid) { v = exp(S[off + j] - mx) * inv; }
        S[off + j] = v;
      }
    }
  }
}

// O[row] = scale · Σ_j W'[row, j] · X[j], with W' = W (rows are queries, j ≤ past + row) or
// W' = Wᵀ (rows are keys, j ≥ row). The transposed form is how dK and dV reduce over queries
// without atomics: each workgroup owns a block of key rows and loops over the queries.
@compute @workgroup_size(WG)
fn attn_pv(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r0 = wg.x * RB;
  let h = wg.y;
  let b = wg.z;
  if (r0 >= p.R) { return; }
  let rows = min(RB, p.R - r0);
  let w_base = (b * p.H + h) * p.T * p.Lk;
  let x_base = b * p.b_sb + h * p.b_sh + p.b_off;
  let o_base = b * p.o_sb + h * p.o_sh + p.o_off;
  var j_begin = 0u;
  var j_end = p.past + r0 + rows;
  if (TRANS_W) {
    j_begin = r0;
    j_end = p.T;
  }
  var acc: array<f32, OPT>;
  for (var j0 = j_begin; j0 < j_end; j0 += PJB) {
    workgroupBarrier();
    for (var e = lid; e < RB * PJB; e += WG) {
      var r: u32;
      var jj: u32;
      // Walk W in memory order: along j normally, along rows (keys) when transposed.
      if (TRANS_W) { r = e % RB; jj = e / RB; } else { r = e / PJB; jj = e % PJB; }
      let row = r0 + r;
      let j = j0 + jj;
      var v = 0.0;
      if (r < rows && j < j_end) {
        if (TRANS_W) {
          if (j >= row) { v = W[w_base + j * p.Lk + row]; }
        } else {
          if (j <= p.past + row) { v = W[w_base + row * p.Lk + j]; }
        }
      }
      ws[r * PJB + jj] = v;
    }
    for (var e = lid; e < PJB * D; e += WG) {
      let j = j0 + e / D;
      var v = 0.0;
      if (j < j_end) { v = X[x_base + j * p.b_sr + e % D]; }
      xs[e] = v;
    }
    workgroupBarrier();
    for (var i = 0u; i < OPT; i++) {
      let e = lid + i * WG;
      if (e < RB * D) {
        let r = e / D;
        let d = e % D;
        var s = acc[i];
        for (var jj = 0u; jj < PJB; jj++) { s = fma(ws[r * PJB + jj], xs[jj * D + d], s); }
        acc[i] = s;
      }
    }
  }
  for (var i = 0u; i < OPT; i++) {
    let e = lid + i * WG;
    let r = e / D;
    if (e < RB * D && r < rows) {
      O[o_base + (r0 + r) * p.o_sr + e % D] = acc[i] * p.scale;
    }
  }
}

// The training forward in one pass, no [T, T] matrix anywhere: Y = softmax(scale·Q·Kᵀ)·V with
// the causal mask, and each row's log-sum-exp into L [B, H, T] for the backward (which
// recomputes the probabilities from it). One thread per query row keeps its q, a running max m,
// sum l and output accumulator (online softmax: when the max rises, l and acc are rescaled by
// exp(m_old − m_new)); the workgroup stages FK keys and values at a time in shared memory.
// A score is the same fma chain over d, times scale, as attn_scores computes, so the
// backward's exp(s − lse) sees the very s the forward normalised.
// Operands: A = q, Bm = k, X = v (v_*), O = y (o_*).
var<workgroup> fk: array<f32, FK * D>; // fk[j·D + d]
var<workgroup> fv: array<f32, FK * D>;

@compute @workgroup_size(FR)
fn attn_fused(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r0 = wg.x * FR;
  let h = wg.y;
  let b = wg.z;
  let r = r0 + lid;
  let live = r < p.T;
  let q_base = b * p.a_sb + h * p.a_sh + p.a_off;
  let k_base = b * p.b_sb + h * p.b_sh + p.b_off;
  let v_base = b * p.v_sb + h * p.v_sh + p.v_off;
  var q: array<f32, D>;
  var acc: array<f32, D>;
  if (live) {
    for (var d = 0u; d < D; d++) { q[d] = A[q_base + r * p.a_sr + d]; }
  }
  var m = -3.4028234e38;
  var l = 0.0;
  let j_end = p.past + min(r0 + FR, p.T); // keys the block's last row can see
  for (var j0 = 0u; j0 < j_end; j0 += FK) {
    workgroupBarrier(); // the previous tile fully consumed
    for (var e = lid; e < FK * D; e += FR) {
      let j = j0 + e / D;
      let d = e % D;
      var kv = 0.0;
      var vv = 0.0;
      if (j < j_end) {
        kv = Bm[k_base + j * p.b_sr + d];
        vv = X[v_base + j * p.v_sr + d];
      }
      fk[e] = kv;
      fv[e] = vv;
    }
    workgroupBarrier();
    if (live) {
      let lim = min(j0 + FK, p.past + r + 1u);
      for (var j = j0; j < lim; j++) {
        let t = (j - j0) * D;
        var dot = 0.0;
        for (var d = 0u; d < D; d++) { dot = fma(q[d], fk[t + d], dot); }
        let s = dot * p.scale;
        let mn = max(m, s);
        let corr = exp(m - mn);
        let w = exp(s - mn);
        l = l * corr + w;
        for (var d = 0u; d < D; d++) { acc[d] = fma(w, fv[t + d], acc[d] * corr); }
        m = mn;
      }
    }
  }
  if (live) {
    let o_base = b * p.o_sb + h * p.o_sh + p.o_off;
    let inv = 1.0 / l;
    for (var d = 0u; d < D; d++) { O[o_base + r * p.o_sr + d] = acc[d] * inv; }
    L[(b * p.H + h) * p.T + r] = m + log(l);
  }
}

// Copies the new k and v rows of qkv [B·T, 3C] into the caches [B, H, maxT, D] at
// positions past … past+T−1. One invocation per (token, channel).
@compute @workgroup_size(WG)
fn kv_write(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.nB * p.T * p.C) { return; }
  let tok = i / p.C;
  let c = i - tok * p.C;
  let b = tok / p.T;
  let t = tok - b * p.T;
  let h = c / D;
  let d = c - h * D;
  let dst = ((b * p.H + h) * p.maxT + p.past + t) * D + d;
  let src = tok * 3u * p.C + p.C + c;
  kc[dst] = A[src];
  vc[dst] = A[src + p.C];
}
