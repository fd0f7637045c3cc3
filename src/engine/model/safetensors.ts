/**
 * Reader and writer for the safetensors format: an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}, then the
 * raw little-endian bytes. Nothing in a file is executed; every field is checked.
 */

export interface SafeTensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

/** Parses a safetensors buffer into float32 tensors (F16/BF16/F64 are widened or narrowed). */
export function readSafetensors(buffer: ArrayBuffer, fileName = 'model.safetensors'): {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
} {
  const bytes = buffer.byteLength;
  if (bytes < 8) throw new SafetensorsError(`${fileName}: file is ${bytes} bytes, too short to hold a safetensors header`);
  const view = new DataView(buffer);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen <= 1 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > bytes) {
    throw new SafetensorsError(
      `${fileName}: header length ${headerLen} does not fit a ${bytes}-byte file (wrong format or truncated)`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLen)));
  } catch {
    throw new SafetensorsError(`${fileName}: header is not valid JSON (not a safetensors file?)`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(`${fileName}: header is not a JSON object`);
  }
  const dataStart = 8 + headerLen;
  const dataBytes = bytes - dataStart;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e?.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) {
      throw new SafetensorsError(`${fileName}: tensor "${name}" has a malformed header entry`);
    }
    const width = DTYPE_BYTES[e.dtype];
    if (!width) throw new SafetensorsError(`${fileName}: tensor "${name}" has unsupported dtype ${e.dtype}`);
    const shape = e.shape as number[];
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new SafetensorsError(`${fileName}: tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    const [begin, end] = e.data_offsets as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || end - begin !== n * width) {
      throw new SafetensorsError(
        `${fileName}: tensor "${name}" [${shape}] ${e.dtype} needs ${n * width} bytes but its offsets span ${end - begin}`,
      );
    }
    if (begin < 0 || end > dataBytes) {
      throw new SafetensorsError(
        `${fileName}: tensor "${name}" ends at byte ${end} of a ${dataBytes}-byte data section (file truncated?)`,
      );
    }
    const off = dataStart + begin;
    let data: Float32Array;
    if (e.dtype === 'F32') {
      data = off % 4 === 0 ? new Float32Array(buffer.slice(off, off + n * 4)) : new Float32Array(buffer.slice(off, off + n * 4));
    } else if (e.dtype === 'F64') {
      data = Float32Array.from(new Float64Array(buffer.slice(off, off + n * 8)));
    } else {
      const u16 = new Uint16Array(buffer.slice(off, off + n * 2));
      data = new Float32Array(n);
      if (e.dtype === 'F16') for (let i = 0; i < n; i++) data[i] = f16ToF32(u16[i]);
      else {
        const u32 = new Uint32Array(data.buffer);
        for (let i = 0; i < n; i++) u32[i] = u16[i] << 16;
      }
    }
    tensors.set(name, { dtype: e.dtype, shape, data });
  }
  return { tensors, metadata };
}

/** Serialises float32 tensors (in the given order) as safetensors. */
export function writeSafetensors(
  tensors: ReadonlyArray<{ name: string; shape: readonly number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data section starts 8-byte aligned.
  while ((8 + new TextEncoder().encode(json).length) % 8 !== 0) json += ' ';
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let pos = 8 + hb.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}
