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

/** One header entry, checked against the file: [begin, end) lies inside the data section. */
export interface SafeTensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte offsets relative to the start of the data section (after the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Entries in file order (sorted by begin); they tile the data section exactly. */
  entries: SafeTensorEntry[];
  metadata: Record<string, string>;
  /** Absolute byte offset of the data section (8 + header length). */
  dataStart: number;
}

/** The reference implementation's cap (huggingface/safetensors MAX_HEADER_SIZE, 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;
/** No real tensor has more axes; a longer shape is a hostile or corrupt header. */
const MAX_RANK = 8;
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

/** A tensor name as errors show it: quoted, and cut so a hostile 1 MB name keeps errors one short line. */
const shown = (name: string) => JSON.stringify(name.length > 80 ? name.slice(0, 80) + '…' : name);

const isOffset = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/**
 * Parses and checks a safetensors header without touching the data section: every shape and
 * offset is validated against the file's size before anything is allocated, and the entries
 * must tile the data section with no overlap, gap or trailing bytes (the format's README: "The
 * byte buffer needs to be entirely indexed, and cannot contain holes"; the reference reader,
 * huggingface/safetensors `read_metadata`, rejects anything else as InvalidOffset or
 * MetadataIncompleteBuffer).
 */
export function readSafetensorsHeader(buffer: ArrayBuffer, fileName = 'model.safetensors'): SafetensorsHeader {
  const bytes = buffer.byteLength;
  if (bytes < 8) throw new SafetensorsError(`${fileName}: file is ${bytes} bytes, too short to hold a safetensors header`);
  const headerLenBig = new DataView(buffer).getBigUint64(0, true);
  if (headerLenBig < 2n || headerLenBig > BigInt(MAX_HEADER_BYTES) || 8n + headerLenBig > BigInt(bytes)) {
    throw new SafetensorsError(
      `${fileName}: header length ${headerLenBig} does not fit a ${bytes}-byte file (wrong format or truncated)`,
    );
  }
  const headerLen = Number(headerLenBig);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(buffer, 8, headerLen)));
  } catch {
    throw new SafetensorsError(`${fileName}: header is not valid JSON (not a safetensors file?)`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(`${fileName}: header is not a JSON object`);
  }
  const dataStart = 8 + headerLen;
  const dataBytes = bytes - dataStart;
  const entries: SafeTensorEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = checkMetadata(entry, fileName);
      continue;
    }
    entries.push(checkEntry(name, entry, dataBytes, fileName));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: SafeTensorEntry | null = null;
  for (const e of entries) {
    if (e.begin < covered) {
      throw new SafetensorsError(
        `${fileName}: tensor ${shown(e.name)} (bytes ${e.begin}–${e.end}) overlaps tensor ${shown(previous!.name)} (bytes ${previous!.begin}–${previous!.end})`,
      );
    }
    if (e.begin > covered) {
      throw new SafetensorsError(`${fileName}: bytes ${covered}–${e.begin} of the data section belong to no tensor (before ${shown(e.name)})`);
    }
    covered = e.end;
    if (e.end > e.begin) previous = e;
  }
  if (covered !== dataBytes) {
    throw new SafetensorsError(`${fileName}: the tensors cover ${covered} of the ${dataBytes} data bytes (trailing bytes belong to no tensor)`);
  }
  return { entries, metadata, dataStart };
}

function checkMetadata(entry: unknown, fileName: string): Record<string, string> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new SafetensorsError(`${fileName}: __metadata__ is not a JSON object`);
  }
  for (const [k, val] of Object.entries(entry)) {
    if (typeof val !== 'string') throw new SafetensorsError(`${fileName}: __metadata__ ${shown(k)} is not a string`);
  }
  return entry as Record<string, string>;
}

function checkEntry(name: string, entry: unknown, dataBytes: number, fileName: string): SafeTensorEntry {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (typeof e !== 'object' || e === null || typeof e.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) {
    throw new SafetensorsError(`${fileName}: tensor ${shown(name)} has a malformed header entry`);
  }
  const width = DTYPE_BYTES[e.dtype];
  if (!Object.hasOwn(DTYPE_BYTES, e.dtype) || !width) {
    throw new SafetensorsError(`${fileName}: tensor ${shown(name)} has unsupported dtype ${shown(e.dtype)}`);
  }
  const shape = e.shape as unknown[];
  if (shape.length > MAX_RANK || !shape.every(isOffset)) {
    throw new SafetensorsError(`${fileName}: tensor ${shown(name)} has an invalid shape ${JSON.stringify(shape).slice(0, 80)}`);
  }
  // The element count is bounded by the data section as it is multiplied, so a hostile shape
  // ([1e9, 1e9, …]) is refused here instead of overflowing or reaching an allocation.
  // A zero axis makes an empty tensor whatever the other axes are (the format allows them).
  let n = shape.includes(0) ? 0 : 1;
  for (const d of n === 0 ? [] : (shape as number[])) {
    n *= d;
    if (n * width > dataBytes) {
      throw new SafetensorsError(
        `${fileName}: tensor ${shown(name)} shape [${shape}] ${e.dtype} needs more than the ${dataBytes}-byte data section holds (file truncated?)`,
      );
    }
  }
  const offsets = e.data_offsets as unknown[];
  if (offsets.length !== 2 || !isOffset(offsets[0]) || !isOffset(offsets[1])) {
    throw new SafetensorsError(`${fileName}: tensor ${shown(name)} has invalid data_offsets ${JSON.stringify(offsets).slice(0, 80)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataBytes) {
    throw new SafetensorsError(
      `${fileName}: tensor ${shown(name)} ends at byte ${end} of a ${dataBytes}-byte data section (file truncated?)`,
    );
  }
  if (end - begin !== n * width) {
    throw new SafetensorsError(
      `${fileName}: tensor ${shown(name)} [${shape}] ${e.dtype} needs ${n * width} bytes but its offsets span ${end - begin}`,
    );
  }
  return { name, dtype: e.dtype, shape: shape as number[], begin, end };
}

/** Copies one checked entry out of the file as float32 (F16/BF16 widened, F64 narrowed). */
export function readTensorData(buffer: ArrayBuffer, header: SafetensorsHeader, e: SafeTensorEntry): Float32Array {
  const off = header.dataStart + e.begin;
  const n = (e.end - e.begin) / DTYPE_BYTES[e.dtype];
  if (e.dtype === 'F32') return new Float32Array(buffer.slice(off, off + n * 4));
  if (e.dtype === 'F64') return Float32Array.from(new Float64Array(buffer.slice(off, off + n * 8)));
  const u16 = new Uint16Array(buffer.slice(off, off + n * 2));
  const data = new Float32Array(n);
  if (e.dtype === 'F16') for (let i = 0; i < n; i++) data[i] = f16ToF32(u16[i]);
  else {
    const u32 = new Uint32Array(data.buffer);
    for (let i = 0; i < n; i++) u32[i] = u16[i] << 16;
  }
  return data;
}

/** Parses a safetensors buffer into float32 tensors (F16/BF16/F64 are widened or narrowed). */
export function readSafetensors(buffer: ArrayBuffer, fileName = 'model.safetensors'): {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
} {
  const header = readSafetensorsHeader(buffer, fileName);
  const tensors = new Map<string, SafeTensor>();
  for (const e of header.entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: readTensorData(buffer, header, e) });
  return { tensors, metadata: header.metadata };
}

/** Serialises float32 tensors (in the given order) as safetensors. */
export function writeSafetensors(
  tensors: ReadonlyArray<{ name: string; shape: readonly number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  // No prototype: a tensor named "__proto__" becomes a key instead of silently vanishing.
  const header: Record<string, unknown> = Object.create(null);
  header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) throw new Error(`writeSafetensors: tensor name ${shown(t.name)} is reserved or repeated`);
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
