/**
 * Properties of parseSessionDocument (src/session/parse.ts), the one door for documents from
 * outside: whatever JSON arrives (arbitrary values, or the valid fixtures with one part
 * replaced or removed), it returns a result and never throws, and an `ok` result is a
 * document the schema and the integrity checks accept.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { SessionDocumentSchema, checkSessionIntegrity, parseSessionDocument, type SessionParseResult } from '../../src/session/index.ts';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/sessions/${name}`, import.meta.url), 'utf8'));
const FIXTURES = ['v1_valid.json', 'v2_valid.json'].map(fixture);

/** Every path to a value inside `root` (arrays by index), found without recursion. */
function pathsOf(root: unknown): (string | number)[][] {
  const out: (string | number)[][] = [];
  const stack: [unknown, (string | number)[]][] = [[root, []]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    out.push(path);
    if (Array.isArray(value)) value.forEach((item, i) => stack.push([item, [...path, i]]));
    else if (typeof value === 'object' && value !== null) for (const [k, item] of Object.entries(value)) stack.push([item, [...path, k]]);
  }
  return out;
}

/** A copy of `root` with the value at `path` replaced by `replacement`, or removed. */
function mutate(root: unknown, path: (string | number)[], replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(root);
  if (path.length === 0) return remove ? undefined : replacement;
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove && Array.isArray(parent)) parent.splice(last as number, 1);
  else if (remove) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

/** Runs the parser on text and on the value, and checks what any result must satisfy. */
function checkResult(result: SessionParseResult): void {
  if (!result.ok) {
    expect(typeof result.error).toBe('string');
    expect(result.error.length).toBeGreaterThan(0);
    return;
  }
  expect(v.safeParse(SessionDocumentSchema, result.doc).success).toBe(true);
  expect(checkSessionIntegrity(result.doc)).toBeNull();
}

describe('parseSessionDocument properties', () => {
  it('never throws on arbitrary JSON, as text or as a value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        checkResult(parseSessionDocument(value));
        checkResult(parseSessionDocument(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => checkResult(parseSessionDocument(text))), { numRuns: 300 });
  });

  it('never throws and never returns an invalid document for a mutated valid fixture', () => {
    const fixtures = FIXTURES.map((doc) => ({ doc, paths: pathsOf(doc) }));
    fc.assert(
      fc.property(
        fc.nat({ max: fixtures.length - 1 }),
        fc.nat(),
        fc.jsonValue({ maxDepth: 2 }),
        fc.boolean(),
        fc.boolean(),
        (which, pathIndex, replacement, remove, asText) => {
          const { doc, paths } = fixtures[which]!;
          const mutated = mutate(doc, paths[pathIndex % paths.length]!, replacement, remove);
          const input = asText ? (JSON.stringify(mutated) ?? '') : mutated;
          const result = parseSessionDocument(input);
          checkResult(result);
          // The input is never changed by parsing.
          if (!asText) expect(mutated).toEqual(mutate(doc, paths[pathIndex % paths.length]!, replacement, remove));
        },
      ),
      { numRuns: 300 },
    );
  });
});
