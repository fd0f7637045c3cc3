// Layer norm over the last dimension C of x [N, C], and its backward pass.
// Constants prepended by src/kernels/layer_norm.ts:
//   WG: threads per row (a power of two);  SX × SY: workgroup shape of the dgamma/dbeta kernel.
// Forward and dx: one workgroup per row with tree reductions in shared memory. The variance
// is the mean of squared deviations from the already-reduced mean (two passes over the row),
// not E[x²]−E[x]², which cancels catastrophically for rows with a large mean.

struct Params {
  N: u32,
  C: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd_out: array<f32>;
@group(0) @binding(7) var<storage, read> dy: array<f32>;
@group(0) @binding(8) var<storage, read> mean_in: array<f32>;
@group(0) @binding(9) var<storage, read> rstd_in: array<f32>;
@group(0) @binding(10) var<storage, read_write> dx: array<f32>;
@group(0) @binding(11) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(12) var<storage, read_write> dbeta: array<f32>;

var<workgroup> red2: array<f32, WG>;
var<workgroup> cg: array<f32, SX * SY>;
var<workgroup> cb: array<f32, SX * SY>;

// Two sums in one sweep of barriers (the dx kernel needs Σg and Σg·x̂).
fn wg_sum2(u: f32, v: f32, lid: u32) -> vec2<f32> {
  red[lid] = u;
  red2[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      red[lid] += red[lid + s];
      red2[lid] += red2[lid + s];
    }
    workgroupBarrier();
  }
  let r = vec2<f32>(red[0], red2[0]);
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn layer_norm(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_of(wg, nwg);
  if (row >= p.N) { return; }
  let off = row * p.C;
  let fC = f32(p.C);
  var s = 0.0;
  for (var c = lid; c < p.C; c += WG) { s += x[off + c]; }
  let m = wg_sum(s, lid) / fC;
  var v = 0.0;
  for (var c = lid; c < p.C; c += WG) {
    let d = x[off + c] - m;
    v = fma(d, d, v);
  }
  let r = 1.0 / sqrt(wg_sum(v, lid) / fC + p.eps);
  for (var c = lid; c < p.C; c += WG) {
    y[off + c] = (x[off + c] - m) * r * gamma[c] + beta[c];
  }
  if (lid == 0u) {
    mean_out[row] = m;
    rstd_out[row] = r;
  }
}

// dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dy·gamma.
@compute @workgroup_size(WG)
fn layer_norm_backward_dx(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_of(wg, nwg);
  if (row >= p.N) { return; }
  let off = row * p.C;
  let m = mean_in[row];
  let r = rstd_in[row];
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = lid; c < p.C; c += WG) {
    let xh = (x[off + c] - m) * r;
    let g = dy[off + c] * gamma[c];
    sg += g;
    sgx = fma(g, xh, sgx);
  }
  let sums = wg_sum2(sg, sgx, lid) / f32(p.C);
  for (var c = lid; c < p.C; c += WG) {
    let xh = (x[off + c] - m) * r;
    let g = dy[off + c] * gamma[c];
    dx[off + c] = r * (g - sums.x - xh * sums.y);
  }
}

// dgamma += Σ_rows dy·x̂, dbeta += Σ_rows dy: SX columns per workgroup, SY threads walking
// rows, folded in shared memory (no atomics, fixed order).
@compute @workgroup_size(SX, SY)
fn layer_norm_backward_params(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = wg.x * SX + lid.x;
  var sg = 0.0;
  var sb = 0.0;
  if (c < p.C) {
    for (var r = lid.y; r < p.N; r += SY) {
      let d = dy[r * p.C + c];
      let xh = (x[r * p.C + c] - mean_in[r]) * rstd_in[r];
      sg = fma(d, xh, sg);
      sb += d;
    }
  }
  cg[lid.y * SX + lid.x] = sg;
  cb[lid.y * SX + lid.x] = sb;
  workgroupBarrier();
  if (lid.y == 0u && c < p.C) {
    var tg = 0.0;
    var tb = 0.0;
    for (var j = 0u; j < SY; j++) {
      tg += cg[j * SX + lid.x];
      tb += cb[j * SX + lid.x];
    }
    dgamma[c] += tg;
    dbeta[c] += tb;
  }
}
