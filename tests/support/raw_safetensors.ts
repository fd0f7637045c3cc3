/**
 * Writes a safetensors file from a header exactly as given (no checks, no offsets computed):
 * the hostile files the loader must refuse — overlapping, out-of-bounds or gapped offsets,
 * odd dtypes and shapes — are built with it.
 */
export function rawSafetensors(header: unknown, data: Uint8Array, headerText = JSON.stringify(header)): ArrayBuffer {
  const hb = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + hb.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  out.set(data, 8 + hb.length);
  return out.buffer;
}
