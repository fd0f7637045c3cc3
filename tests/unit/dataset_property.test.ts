/**
 * JSONL datasets (src/session/dataset.ts): arbitrary text never throws and a refusal names a
 * line or the file; rows written by toJsonl parse back to the same rows, whatever their text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDatasetJsonl, toJsonl, type DatasetKind } from '../../src/session/dataset.ts';

const KINDS: DatasetKind[] = ['preference', 'thumbs', 'ranking', 'battles'];
const text = fc.string({ maxLength: 60, unit: 'binary' });
const name = fc.string({ minLength: 1, maxLength: 30 });

const rowsOf: { [K in DatasetKind]: fc.Arbitrary<object> } = {
  preference: fc.record({ prompt: text, chosen: text, rejected: text }),
  thumbs: fc.record({ prompt: text, completion: text, label: fc.boolean() }),
  ranking: fc.record({ prompt: text, completions: fc.array(text, { minLength: 2, maxLength: 16 }) }),
  battles: fc.record({ model_a: name, model_b: name, winner: fc.constantFrom('model_a', 'model_b', 'tie', 'tie (bothbad)') }),
};

describe('parseDatasetJsonl properties', () => {
  it('never throws on arbitrary text or arbitrary JSON lines', () => {
    const lines = fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.jsonValue({ maxDepth: 3 }).map((j) => JSON.stringify(j))), { maxLength: 8 });
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), lines, fc.constantFrom('\n', '\r\n'), (kind, body, eol) => {
        const result = parseDatasetJsonl(body.join(eol), kind);
        if (!result.ok) expect(result.error).toMatch(/^(line \d+: |The file|This file)/);
        else expect(result.rows.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('names the line and the field of a row with one field replaced or removed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS).chain((kind) => fc.tuple(fc.constant(kind), fc.array(rowsOf[kind], { minLength: 1, maxLength: 5 }))),
        fc.nat(),
        fc.nat(),
        fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
        ([kind, rows], rowPick, fieldPick, replacement) => {
          const at = rowPick % rows.length;
          const row: Record<string, unknown> = { ...rows[at] };
          const fields = Object.keys(row);
          const field = fields[fieldPick % fields.length]!;
          if (replacement === undefined) delete row[field];
          else row[field] = replacement;
          const mutated = rows.map((r, i) => (i === at ? row : r));
          const result = parseDatasetJsonl(toJsonl(mutated), kind);
          if (result.ok) expect(result.rows[at]).toEqual(row); // the new value happened to be valid
          else expect(result.error).toMatch(new RegExp(`^line ${at + 1}: "${field}`));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads back exactly the rows toJsonl wrote', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS).chain((kind) => fc.tuple(fc.constant(kind), fc.array(rowsOf[kind], { minLength: 1, maxLength: 6 }))),
        ([kind, rows]) => {
          const result = parseDatasetJsonl(toJsonl(rows), kind);
          expect(result).toEqual({ ok: true, rows });
        },
      ),
      { numRuns: 200 },
    );
  });
});
