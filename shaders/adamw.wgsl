// In-place AdamW with decoupled weight decay, one invocation per parameter.
// Constants prepended by src/kernels/adamw.ts: WG.
// The bias corrections 1−β^t are computed on the host in float64 and passed in, so late
// steps (β2^t → 1 slowly) do not lose precision to f32 pow().

struct Params {
  n: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  wd: f32,
  bc1: f32,
  bc2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(WG)
fn adamw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let g = grad[i];
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let m_hat = mi / p.bc1;
  let v_hat = vi / p.bc2;
  let w = param[i];
  param[i] = w - p.lr * (m_hat / (sqrt(v_hat) + p.eps) + p.wd * w);
}
