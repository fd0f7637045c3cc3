// Elementwise kernels: add, add-into, scale, GELU (tanh form) and its derivative.
// Constants prepended by src/kernels/elementwise.ts: WG (threads per workgroup).
// Large tensors (the 38.6M-element embedding gradient) need more than 65535 workgroups, so
// the flat index folds in workgroup_id.y.

struct Params {
  n: u32,
  s: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const GELU_C: f32 = 0.7978845608028654; // sqrt(2 / pi)

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// Clamped because tanh lowered through exp() overflows to inf/inf = NaN for large |u| on some
// drivers; tanh(15) is 1 in f32 anyway.
fn tanh_safe(u: f32) -> f32 {
  return tanh(clamp(u, -15.0, 15.0));
}

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  out[i] = a[i] + b[i];
}

@compute @workgroup_size(WG)
fn add_into(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  out[i] = out[i] + a[i];
}

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  out[i] = a[i] * p.s;
}

@compute @workgroup_size(WG)
fn gelu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  let x = a[i];
  out[i] = 0.5 * x * (1.0 + tanh_safe(GELU_C * (x + 0.044715 * x * x * x)));
}

// a = dy, b = x.
@compute @workgroup_size(WG)
fn gelu_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  let x = b[i];
  let t = tanh_safe(GELU_C * (x + 0.044715 * x * x * x));
  let du = GELU_C * (1.0 + 3.0 * 0.044715 * x * x);
  out[i] = a[i] * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du);
}
