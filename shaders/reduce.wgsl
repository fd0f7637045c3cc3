// Reductions: column sums (bias gradients), the two-stage global sum of squares and the
// on-device scale of gradient-norm clipping, and the masked mean negative log-likelihood.
// Constants prepended by src/kernels/reduce.ts:
//   WG: threads of the 1-D kernels (a power of two);  SX × SY: sum_rows workgroup shape;
//   ACC: sum_rows adds into its output.
// Every sum is a fixed-order tree, never a float atomic, so results are run-to-run identical.

struct Params {
  n: u32,     // rows (sum_rows) or element count
  k: u32,     // columns (sum_rows) or slot in the partials buffer (sumsq_partial)
  fval: f32,  // maxNorm (clip_scale)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<storage, read> partials_in: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;
@group(0) @binding(6) var<storage, read> norm: array<f32>;
@group(0) @binding(7) var<storage, read> mask: array<f32>;

var<workgroup> cols: array<f32, SX * SY>;

// Column sums of a [n, k] matrix: SX columns per workgroup, SY threads down each column.
@compute @workgroup_size(SX, SY)
fn sum_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = wg.x * SX + lid.x;
  var s = 0.0;
  if (c < p.k) {
    for (var r = lid.y; r < p.n; r += SY) { s += a[r * p.k + c]; }
  }
  cols[lid.y * SX + lid.x] = s;
  workgroupBarrier();
  if (lid.y == 0u && c < p.k) {
    var t = 0.0;
    for (var j = 0u; j < SY; j++) { t += cols[j * SX + lid.x]; }
    if (ACC) { t += out[c]; }
    out[c] = t;
  }
}

// Stage 1 of clipGradNorm: each workgroup writes the sum of squares of its grid-stride share
// of one gradient into partials[k + workgroup].
@compute @workgroup_size(WG)
fn sumsq_partial(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  var s = 0.0;
  for (var i = wg.x * WG + lid; i < p.n; i += nwg.x * WG) {
    let g = a[i];
    s = fma(g, g, s);
  }
  let t = wg_sum(s, lid);
  if (lid == 0u) { partials[p.k + wg.x] = t; }
}

// Stage 2: one workgroup folds all partials into the norm (out[0]).
@compute @workgroup_size(WG)
fn sumsq_final(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < p.n; i += WG) { s += partials_in[i]; }
  let t = wg_sum(s, lid);
  if (lid == 0u) { out[0] = sqrt(t); }
}

// Stage 3: scale one gradient in place, reading the norm from the device (no readback).
@compute @workgroup_size(WG)
fn clip_scale(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let nrm = norm[0];
  if (nrm > p.fval) { grad[i] = grad[i] * (p.fval / (nrm + 1e-6)); }
}

// −Σ mask·logprobs / Σ mask (0 when the mask is empty), one workgroup.
@compute @workgroup_size(WG)
fn masked_mean_nll(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  var m = 0.0;
  for (var i = lid; i < p.n; i += WG) {
    s -= mask[i] * a[i];
    m += mask[i];
  }
  let ts = wg_sum(s, lid);
  let tm = wg_sum(m, lid);
  if (lid == 0u) {
    var r = 0.0;
    if (tm > 0.0) { r = ts / tm; }
    out[0] = r;
  }
}
