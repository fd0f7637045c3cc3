/**
 * Property tests for the safetensors header parser (issue 12): whatever bytes arrive, it either
 * returns tensors that tile the file's data section or throws a one-line SafetensorsError, and
 * it never reads (so never allocates for) more bytes than the file holds.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readSafetensors, writeSafetensors, SafetensorsError } from '../../src/engine/model/safetensors';
import { rawSafetensors } from '../support/raw_safetensors';

const WIDTH: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/**
 * The outcome every input must have: a clear error, or tensors whose source bytes fit in the data
 * section (8-byte length + header + data = the file) and whose float32 copies are the right size.
 */
function checkOutcome(buffer: ArrayBuffer): 'ok' | 'refused' {
  let result: ReturnType<typeof readSafetensors>;
  try {
    result = readSafetensors(buffer);
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    const msg = (e as Error).message;
    expect(msg.startsWith('model.safetensors: ')).toBe(true);
    expect(msg).not.toMatch(/\n/);
    expect(msg.length).toBeLessThanOrEqual(400);
    return 'refused';
  }
  const headerLen = Number(new DataView(buffer).getBigUint64(0, true));
  const dataBytes = buffer.byteLength - 8 - headerLen;
  let sourceBytes = 0;
  for (const t of result.tensors.values()) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    expect(t.data.length).toBe(n);
    sourceBytes += n * WIDTH[t.dtype];
  }
  expect(sourceBytes).toBeLessThanOrEqual(dataBytes);
  return 'ok';
}

const dtype = fc.constantFrom('F32', 'F16', 'BF16', 'F64');
const smallShape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });
/** Tensor names, with the keys that break plain-object code drawn often. */
const tensorName = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'));
const names = (n: number) => fc.uniqueArray(tensorName.filter((s) => s !== '__metadata__'), { minLength: n, maxLength: n });
const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A valid file: tensors of random dtypes and shapes laid end to end, with random data bytes. */
const validFile = fc
  .array(fc.record({ dtype, shape: smallShape }), { maxLength: 5 })
  .chain((specs) => fc.tuple(fc.constant(specs), names(specs.length), fc.uint8Array({ minLength: 256, maxLength: 256 })))
  .map(([specs, tensorNames, noise]) => {
    const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = Object.create(null);
    let offset = 0;
    specs.forEach((s, i) => {
      const bytes = elements(s.shape) * WIDTH[s.dtype];
      header[tensorNames[i]] = { dtype: s.dtype, shape: s.shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
    });
    const data = Uint8Array.from({ length: offset }, (_, i) => noise[i % noise.length]);
    return { header, data, buffer: rawSafetensors({ __metadata__: { format: 'pt' }, ...header }, data) };
  });

/** Header values an attacker would try: huge, negative, fractional, wrong types. */
const hostileNumber = fc.oneof(
  fc.integer({ min: 0, max: 64 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e308, -1, -0, 0.5),
  fc.string({ maxLength: 3 }),
);
/** Entries that are each consistent (offsets span exactly the shape's bytes) but may overlap, leave gaps or run past the end. */
const plausibleEntry = fc
  .record({ dtype, shape: smallShape, begin: fc.integer({ min: 0, max: 40 }) })
  .map(({ dtype: d, shape, begin }) => ({ dtype: d, shape, data_offsets: [begin, begin + elements(shape) * WIDTH[d]] }));
const hostileHeader = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__metadata__', '__proto__', 'constructor')),
  fc.oneof(
    plausibleEntry,
    plausibleEntry,
    fc.record({
      dtype: fc.oneof(dtype, fc.string({ maxLength: 5 }), fc.constantFrom('toString', '__proto__', 'I64')),
      shape: fc.array(hostileNumber, { maxLength: 4 }),
      data_offsets: fc.array(hostileNumber, { maxLength: 3 }),
    }),
    fc.jsonValue({ maxDepth: 2 }),
  ),
  { maxKeys: 5 },
);

describe('safetensors parser properties', () => {
  it('arbitrary bytes and hostile headers: a one-line SafetensorsError, or tensors that never read past the data section', () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => b.slice().buffer),
      fc.tuple(fc.string({ maxLength: 80 }), fc.uint8Array({ maxLength: 64 })).map(([text, data]) => rawSafetensors(null, data, text)),
      fc.tuple(hostileHeader, fc.integer({ min: 0, max: 48 })).map(([header, n]) => rawSafetensors(header, new Uint8Array(n))),
      fc.dictionary(tensorName, plausibleEntry, { minKeys: 1, maxKeys: 4 }).map((header) => rawSafetensors(header, new Uint8Array(48))),
    );
    fc.assert(fc.property(input, (buffer) => void checkOutcome(buffer)), { numRuns: 2000 });
  });

  it('mutated valid files (flipped bytes, truncation, appended bytes, one tensor pointed at another\'s bytes) are refused or read within bounds', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
      fc.record({ kind: fc.constant('alias' as const), from: fc.nat(), to: fc.nat() }),
    );
    fc.assert(
      fc.property(validFile, fc.array(mutation, { minLength: 1, maxLength: 4 }), (file, mutations) => {
        // Header-level mutations first (they re-encode the header), then byte-level ones.
        const header = structuredClone({ ...file.header });
        const keys = Object.keys(file.header);
        for (const m of mutations) {
          if (m.kind !== 'alias' || keys.length < 2) continue;
          const [a, b] = [keys[m.from % keys.length], keys[m.to % keys.length]];
          header[a] = { ...header[b] };
        }
        let bytes = new Uint8Array(rawSafetensors({ __metadata__: { format: 'pt' }, ...header }, file.data));
        for (const m of mutations) {
          if (m.kind === 'flip' && bytes.length > 0) bytes[m.at % bytes.length] = m.value;
          else if (m.kind === 'truncate') bytes = bytes.slice(0, m.at % (bytes.length + 1));
          else if (m.kind === 'append') bytes = Uint8Array.from([...bytes, ...m.bytes]);
        }
        checkOutcome(bytes.buffer);
      }),
      { numRuns: 1000 },
    );
  });

  it('valid generated files are read back exactly (names, dtypes, shapes, values), and writeSafetensors round-trips bit for bit', () => {
    fc.assert(
      fc.property(validFile, (file) => {
        expect(checkOutcome(file.buffer)).toBe('ok');
        const { tensors, metadata } = readSafetensors(file.buffer);
        expect(metadata).toEqual({ format: 'pt' });
        expect(tensors.size).toBe(Object.keys(file.header).length);
        const dv = new DataView(file.data.buffer);
        for (const [name, e] of Object.entries(file.header)) {
          const t = tensors.get(name)!;
          expect([t.dtype, t.shape]).toEqual([e.dtype, e.shape]);
          for (let i = 0; i < t.data.length; i++) {
            const at = e.data_offsets[0] + i * WIDTH[e.dtype];
            const expected =
              e.dtype === 'F32' ? dv.getFloat32(at, true)
              : e.dtype === 'F64' ? Math.fround(dv.getFloat64(at, true))
              : e.dtype === 'BF16' ? new Float32Array(Uint32Array.of(dv.getUint16(at, true) << 16).buffer)[0]
              : null; // F16: the known bit patterns below
            if (expected !== null) expect(Object.is(t.data[i], expected) || (Number.isNaN(t.data[i]) && Number.isNaN(expected))).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );

    const tensor = smallShape.chain((shape) =>
      fc.record({ shape: fc.constant(shape), data: fc.float32Array({ minLength: elements(shape), maxLength: elements(shape) }) }),
    );
    fc.assert(
      fc.property(fc.array(tensor, { maxLength: 4 }).chain((ts) => fc.tuple(fc.constant(ts), names(ts.length))), ([ts, tensorNames]) => {
        const bytes = writeSafetensors(ts.map((t, i) => ({ name: tensorNames[i], shape: t.shape, data: t.data })));
        const { tensors } = readSafetensors(bytes.buffer as ArrayBuffer);
        expect(tensors.size).toBe(ts.length);
        ts.forEach((t, i) => {
          const back = tensors.get(tensorNames[i])!;
          expect(back.shape).toEqual(t.shape);
          expect(new Uint32Array(back.data.buffer, back.data.byteOffset, back.data.length)).toEqual(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
        });
      }),
      { numRuns: 300 },
    );

    // IEEE 754 binary16 bit patterns: 1, −2, the largest finite (65504), the smallest subnormal (2^−24), +∞.
    const halves = Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00);
    const h = readSafetensors(rawSafetensors({ h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] } }, new Uint8Array(halves.buffer))).tensors.get('h')!;
    expect([...h.data]).toEqual([1, -2, 65504, 2 ** -24, Infinity]);
  });
});
