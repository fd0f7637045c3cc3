// Token + position embedding, its backward (scatter-add), and row gather.
// Constants prepended by src/kernels/embedding.ts: WG (threads per workgroup), G (id groups of
// the wte backward, see below).

struct Params {
  B: u32,
  T: u32,
  C: u32,
  pos_offset: u32,
  V: u32,    // rows of wte (or of the gathered matrix)
  P: u32,    // rows of wpe
  rows: u32, // gathered rows
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> wte: array<f32>;
@group(0) @binding(3) var<storage, read> wpe: array<f32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> dwte: array<f32>;
@group(0) @binding(7) var<storage, read_write> dwpe: array<f32>;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn embedding(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.B * p.T * p.C) { return; }
  let tok = i / p.C;
  let c = i - tok * p.C;
  let t = tok % p.T;
  // Out-of-range ids/positions read row 0 rather than another tensor's memory.
  let id = select(0u, ids[tok], ids[tok] < p.V);
  let pos = select(0u, p.pos_offset + t, p.pos_offset + t < p.P);
  x[i] = wte[id * p.C + c] + wpe[pos * p.C + c];
}

// dwte[id, c] += dx[i, c] for every token i. Repeated ids make this a scatter with
// collisions; instead of float atomics (nondeterministic, and not in WGSL for f32), each
// invocation owns column c for the ids with id % G == g and walks all B·T tokens in order.
// So every dwte element has exactly one writer and sums in token order, like the reference.
@compute @workgroup_size(WG)
fn embedding_backward_wte(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = flat(gid, nwg);
  if (j >= p.C * G) { return; }
  let g = j / p.C;
  let c = j - g * p.C;
  let n = p.B * p.T;
  for (var i = 0u; i < n; i++) {
    let id = ids[i];
    if (id % G == g && id < p.V) {
      let o = id * p.C + c;
      dwte[o] = dwte[o] + dx[i * p.C + c];
    }
  }
}

// dwpe[t, c] += Σ_b dx[b·T + t, c], in b order.
@compute @workgroup_size(WG)
fn embedding_backward_wpe(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.T * p.C) { return; }
  var acc = dwpe[i];
  for (var b = 0u; b < p.B; b++) { acc += dx[b * p.T * p.C + i]; }
  dwpe[i] = acc;
}

// x[r, c] = wte[ids[r], c]: the gathered matrix is bound as `wte`, the row list as `ids`.
@compute @workgroup_size(WG)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.rows * p.C) { return; }
  let r = i / p.C;
  let c = i - r * p.C;
  let src = select(0u, ids[r], ids[r] < p.V);
  x[i] = wte[src * p.C + c];
}
