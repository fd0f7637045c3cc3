// Workgroup reductions shared by the row-wise kernels (layer norm, log-softmax, attention,
// reduce). Prepended to those shaders by their kernel classes (see src/kernels/*.ts): WGSL has
// no includes. Needs `const WG` (a power of two) in the including shader, which every one of
// them gets from the kernel's constants. Each reduction ends with a barrier, because the next
// call overwrites `red`.

var<workgroup> red: array<f32, WG>;

fn wg_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn wg_max(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

// Rows are spread over a 2-D grid of workgroups when there are more than 65535 of them.
fn row_of(wg: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wg.x + wg.y * nwg.x;
}
