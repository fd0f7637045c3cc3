// Row-wise kernels over logits [N, V] (V up to 50257): log-softmax gathered at the targets,
// its backward, temperature softmax for sampling, argmax for greedy decoding and top-k for
// sampling (only k values and indices per row cross to the host).
// Constants prepended by src/kernels/log_softmax.ts: WG (threads per row, a power of two).
// One workgroup per row: each thread folds a strided slice, then a tree reduction.

struct Params {
  N: u32,
  V: u32,
  inv_temp: f32,
  k: u32,     // topk: entries kept per row (≤ V)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> logprobs: array<f32>;
@group(0) @binding(4) var<storage, read_write> lse_out: array<f32>;
@group(0) @binding(5) var<storage, read> dlogprobs: array<f32>;
@group(0) @binding(6) var<storage, read> lse_in: array<f32>;
@group(0) @binding(7) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(8) var<storage, read_write> probs: array<f32>;
@group(0) @binding(9) var<storage, read_write> best: array<u32>;

var<workgroup> red_i: array<u32, WG>;

fn row_max(off: u32, lid: u32) -> f32 {
  // Not -inf: WGSL has no infinity literal, and a row of all -FLT_MAX still works.
  var m = -3.4028234e38;
  for (var v = lid; v < p.V; v += WG) { m = max(m, logits[off + v]); }
  return wg_max(m, lid);
}

@compute @workgroup_size(WG)
fn log_softmax_gather(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_of(wg, nwg);
  if (row >= p.N) { return; }
  let off = row * p.V;
  let m = row_max(off, lid);
  var s = 0.0;
  for (var v = lid; v < p.V; v += WG) { s += exp(logits[off + v] - m); }
  let l = m + log(wg_sum(s, lid));
  if (lid == 0u) {
    lse_out[row] = l;
    logprobs[row] = logits[off + min(targets[row], p.V - 1u)] - l;
  }
}

// dlogits[i, v] = g·(1[v = t] − exp(logits − lse)); elementwise over N·V.
@compute @workgroup_size(WG)
fn log_softmax_gather_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.N * p.V) { return; }
  let row = i / p.V;
  let v = i - row * p.V;
  let g = dlogprobs[row];
  var d = -g * exp(logits[i] - lse_in[row]);
  if (v == targets[row]) { d += g; }
  dlogits[i] = d;
}

@compute @workgroup_size(WG)
fn softmax(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_of(wg, nwg);
  if (row >= p.N) { return; }
  let off = row * p.V;
  let m = row_max(off, lid);
  var s = 0.0;
  for (var v = lid; v < p.V; v += WG) {
    let e = exp((logits[off + v] - m) * p.inv_temp);
    probs[off + v] = e;
    s += e;
  }
  let inv = 1.0 / wg_sum(s, lid);
  // Each thread rescales exactly the entries it wrote, so no barrier is needed in between.
  for (var v = lid; v < p.V; v += WG) { probs[off + v] = probs[off + v] * inv; }
}

// Folds each thread's (value, index) into red[0], red_i[0]: the larger value, ties to the lower
// index; 0xffffffff is "none". Called from uniform control flow (it holds barriers).
fn argmax_tree(bv: f32, bi: u32, lid: u32) {
  red[lid] = bv;
  red_i[lid] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let ov = red[lid + s];
      let oi = red_i[lid + s];
      let mi = red_i[lid];
      if (oi != 0xffffffffu && (mi == 0xffffffffu || ov > red[lid] || (ov == red[lid] && oi < mi))) {
        red[lid] = ov;
        red_i[lid] = oi;
      }
    }
    workgroupBarrier();
  }
}

// Lowest index wins ties, like the CPU reference (a thread scans its slice in increasing
// order with a strict '>', and the tree prefers the smaller index on equal values).
@compute @workgroup_size(WG)
fn argmax(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_of(wg, nwg);
  if (row >= p.N) { return; }
  let off = row * p.V;
  var bv = -3.4028234e38;
  var bi = 0xffffffffu;
  for (var v = lid; v < p.V; v += WG) {
    let x = logits[off + v];
    if (bi == 0xffffffffu || x > bv) {
      bv = x;
      bi = v;
    }
  }
  argmax_tree(bv, bi, lid);
  if (lid == 0u) { best[row] = red_i[0]; }
}

// The k largest logits of each row, largest first, ties to the lower index (as argmax and the
// CPU's topKRef): k rounds of a constrained argmax, each over the entries ranked below the
// previous round's pick (smaller, or equal with a higher index). Values go to probs[row·k + r],
// indices to best[row·k + r]. About k·V/WG reads per thread: cheap next to reading V floats back.
@compute @workgroup_size(WG)
fn topk(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_of(wg, nwg);
  if (row >= p.N) { return; }
  let off = row * p.V;
  var pv = 0.0;
  var pi = 0xffffffffu; // no pick yet
  for (var r = 0u; r < p.k; r++) {
    var bv = -3.4028234e38;
    var bi = 0xffffffffu;
    for (var v = lid; v < p.V; v += WG) {
      let x = logits[off + v];
      let below = pi == 0xffffffffu || x < pv || (x == pv && v > pi);
      if (below && (bi == 0xffffffffu || x > bv)) {
        bv = x;
        bi = v;
      }
    }
    argmax_tree(bv, bi, lid);
    pv = red[0];
    pi = red_i[0];
    if (lid == 0u) {
      probs[row * p.k + r] = pv;
      best[row * p.k + r] = pi;
    }
    workgroupBarrier(); // every thread has read the pick before the next round overwrites it
  }
}

// One draw per row from softmax(logits · inv_temp) by inverse CDF in id order, from the row's
// uniform u in [0, 1) (dlogprobs[row]; the host's RNG makes it, as for the CPU draw): the first
// id whose running sum of exp((x − max)·inv_temp) reaches u·Σ, into best[row]. Thread t sums the
// contiguous ids [t·C, (t+1)·C); thread 0 walks the WG partial sums, then the one slice the
// target falls in, recomputing its weights with the same expression. Only the id comes back.
// This is `sampleRowRef` in float32: the same id except where u·Σ lies within rounding of a
// boundary between two ids.
@compute @workgroup_size(WG)
fn sample(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_of(wg, nwg);
  if (row >= p.N) { return; }
  let off = row * p.V;
  let m = row_max(off, lid);
  let per = (p.V + WG - 1u) / WG;
  let lo = min(p.V, lid * per);
  let hi = min(p.V, lo + per);
  var s = 0.0;
  for (var v = lo; v < hi; v++) { s += exp((logits[off + v] - m) * p.inv_temp); }
  red[lid] = s;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var t = 0u; t < WG; t++) { total += red[t]; }
    var left = dlogprobs[row] * total;
    var pick = p.V - 1u;
    var t = 0u;
    // The slice the target falls in (its partial sum reaches what is left).
    for (; t < WG; t++) {
      if (left - red[t] <= 0.0) { break; }
      left -= red[t];
    }
    if (t < WG) {
      let a = min(p.V, t * per);
      let b = min(p.V, a + per);
      pick = max(a, b) - 1u;
      for (var v = a; v < b; v++) {
        left -= exp((logits[off + v] - m) * p.inv_temp);
        if (left <= 0.0) {
          pick = v;
          break;
        }
      }
    }
    best[row] = pick;
  }
}
