import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SHARE_LINK_MAX_CHARS,
  appendDatasetRows,
  battleRows,
  createCell,
  createIdGenerator,
  createSession,
  datasetFileName,
  decodeShareLink,
  encodeShareLink,
  exportDatasetJsonl,
  importSession,
  isShareLinkHash,
  parseDatasetJsonl,
  parseSessionDocument,
  serializeSession,
  sessionFileName,
  votesToPreferencePairs,
  type SessionDocument,
} from '../../src/session/index.ts';
import { bytesToBase64Url, base64UrlToBytes, gunzipBounded, gzip } from '../../src/session/share.ts';

const fixtureText = (name: string) => readFileSync(new URL(`../fixtures/sessions/${name}`, import.meta.url), 'utf8');
const v2 = (): SessionDocument => {
  const result = parseSessionDocument(fixtureText('v2_valid.json'));
  if (!result.ok) throw new Error(result.error);
  return result.doc;
};

describe('serializeSession', () => {
  it('writes the same text whatever order the keys were built in', () => {
    const doc = v2();
    const reversed = JSON.parse(JSON.stringify(doc), (_key, value: unknown) =>
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).reverse())
        : value,
    ) as SessionDocument;
    expect(Object.keys(reversed)[0]).toBe('events');
    expect(serializeSession(reversed)).toBe(serializeSession(doc));
  });

  it('starts with the format and version, and puts one event per line', () => {
    const text = serializeSession(v2());
    expect(text.startsWith('{\n  "format": "duelbook.session",\n  "version": 2,\n  "metadata": {')).toBe(true);
    expect(text.split('\n').filter((line) => line.startsWith('    {"seq":'))).toHaveLength(19);
    expect(text.endsWith('\n}\n')).toBe(true);
  });

  it('writes an empty log as []', () => {
    const text = serializeSession(createSession({ now: 0, title: 'Empty' }));
    expect(text).toContain('"events": []');
    expect(parseSessionDocument(text).ok).toBe(true);
  });

  it('names files after the title, made safe for file systems', () => {
    const doc = v2();
    expect(sessionFileName(doc)).toBe('Haiku duels- online DPO.duelbook.json');
    const rename = (title: string) => sessionFileName({ ...doc, metadata: { ...doc.metadata, title } });
    expect(rename('../../etc/passwd')).toBe('-..-etc-passwd.duelbook.json');
    expect(rename('  ')).toBe('session.duelbook.json');
    expect(rename('...')).toBe('session.duelbook.json');
    expect(rename('a\u0000b<c>d')).toBe('a-b-c-d.duelbook.json');
    expect(datasetFileName(doc, 'battles')).toBe('Haiku duels- online DPO.battles.jsonl');
  });
});

describe('importSession', () => {
  it('reads a file, migrating old versions', async () => {
    const result = await importSession(new Blob([fixtureText('v1_valid.json')]));
    expect(result.ok && result.fromVersion).toBe(1);
    const again = await importSession(serializeSession(v2()));
    expect(again.ok && again.doc).toEqual(v2());
  });

  it('refuses an oversized file before reading it', async () => {
    const big = new Blob([new Uint8Array(2048)]);
    expect(await importSession(big, { maxBytes: 1024 })).toEqual({
      ok: false,
      error: 'This session is 2 KB; the limit is 1 KB.',
    });
  });

  it('returns an error for a bad file and leaves the open session untouched', async () => {
    const open = v2();
    const snapshot = JSON.stringify(open);
    const result = await importSession(new Blob([fixtureText('malformed_wrong_type.json')]));
    expect(result).toEqual({ ok: false, error: 'cells[3].config.beta: expected a number, got a string' });
    expect(JSON.stringify(open)).toBe(snapshot);
  });
});

describe('share links', () => {
  it('round-trips a session through #s=… in Node', async () => {
    const doc = v2();
    const link = await encodeShareLink(doc);
    expect(link.tooLarge).toBe(false);
    if (link.tooLarge) return;
    expect(link.hash).toMatch(/^#s=[A-Za-z0-9_-]+$/);
    expect(link.hash.length).toBeLessThanOrEqual(SHARE_LINK_MAX_CHARS);
    expect(isShareLinkHash(link.hash)).toBe(true);
    const decoded = await decodeShareLink(link.hash);
    expect(decoded.ok && decoded.doc).toEqual(doc);
    // The same link pasted as a whole URL, or without "#", also opens.
    const fromUrl = await decodeShareLink(`https://duelbook.example/app/?x=1${link.hash}`);
    expect(fromUrl.ok).toBe(true);
    expect((await decodeShareLink(link.hash.slice(1))).ok).toBe(true);
  });

  it('is deterministic', async () => {
    const a = await encodeShareLink(v2());
    const b = await encodeShareLink(JSON.parse(JSON.stringify(v2())));
    expect(a).toEqual(b);
  });

  it('says the session is too large for a link instead of making one', async () => {
    const nextId = createIdGenerator({ seed: 8 });
    // Random text does not compress, so this cannot fit in 8 000 characters.
    const noise = Array.from({ length: 12_000 }, nextId).join(' ').slice(0, 90_000);
    const doc = createSession({ now: 0, cells: [createCell('note', nextId, { config: { text: noise } })] });
    const link = await encodeShareLink(doc);
    expect(link).toMatchObject({ tooLarge: true, maxChars: 8_000 });
    expect(link.tooLarge && link.chars).toBeGreaterThan(8_000);
  });

  it('explains damaged links', async () => {
    expect(await decodeShareLink('#view=3')).toEqual({ ok: false, error: 'This link holds no session (no "#s=" in it).' });
    expect(await decodeShareLink('#s=not*base64')).toEqual({
      ok: false,
      error: 'This share link is damaged (it is not valid base64url).',
    });
    expect(await decodeShareLink(`#s=${bytesToBase64Url(new TextEncoder().encode('plain text, not gzip'))}`)).toEqual({
      ok: false,
      error: 'This share link is damaged (its data does not decompress).',
    });
    const notJson = await gzip(new TextEncoder().encode('{"format": "duelbook.session",'));
    const result = await decodeShareLink(`#s=${bytesToBase64Url(notJson)}`);
    expect(result.ok === false && result.error).toMatch(/^This file is not valid JSON/);
    const future = await gzip(new TextEncoder().encode('{"format":"duelbook.session","version":9}'));
    expect(await decodeShareLink(`#s=${bytesToBase64Url(future)}`)).toEqual({
      ok: false,
      error: 'This session was written by a newer Duelbook (version 9); this version reads up to 2.',
    });
  });

  it('stops inflating a gzip bomb at the byte cap', async () => {
    // 4 MB of spaces compresses to a few KB; with a 1 MB cap decoding must give up.
    const bomb = await gzip(new Uint8Array(4 * 1024 * 1024).fill(0x20));
    expect(bomb.length).toBeLessThan(10_000);
    const result = await decodeShareLink(`#s=${bytesToBase64Url(bomb)}`, { maxBytes: 1024 * 1024 });
    expect(result).toEqual({ ok: false, error: 'This share link unpacks to more than 1 MB, the limit for a session.' });
    expect(await gunzipBounded(bomb, 1024 * 1024)).toBe('too large');
    const inflated = await gunzipBounded(bomb, 4 * 1024 * 1024);
    expect(inflated instanceof Uint8Array && inflated.length).toBe(4 * 1024 * 1024);
  });

  it('refuses absurdly long links before decoding them', async () => {
    const result = await decodeShareLink(`#s=${'A'.repeat(5000)}`, { maxEncodedChars: 4000 });
    expect(result).toEqual({ ok: false, error: 'This share link is longer than 4 000 characters.' });
  });

  it('base64url round-trips every byte value', () => {
    const bytes = new Uint8Array(40_000).map((_, i) => (i * 31) % 256);
    const text = bytesToBase64Url(bytes);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(base64UrlToBytes(text)).toEqual(bytes);
    expect(base64UrlToBytes('abcde')).toBeNull();
  });
});

describe('JSONL datasets', () => {
  it('exports TRL preference pairs from the effective votes', () => {
    const lines = exportDatasetJsonl(v2(), 'preference').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toEqual({
      prompt: 'Write a haiku about rain.',
      chosen: 'Soft rain on the roof / the gutters hum a slow song / puddles hold the sky',
      rejected: 'Rain is water that falls from clouds.',
      annotator: 'human',
    });
    // TRL's columns first; who voted last (issue 14: exports carry the annotator).
    expect(Object.keys(lines[0])).toEqual(['prompt', 'chosen', 'rejected', 'annotator']);
  });

  it('exports thumbs in KTO format and rankings best first', () => {
    expect(exportDatasetJsonl(v2(), 'thumbs')).toBe(
      '{"prompt":"Tell a short joke.","completion":"I would tell you a UDP joke, but you might not get it.","label":true,"annotator":"judge-rm"}\n',
    );
    expect(exportDatasetJsonl(v2(), 'ranking')).toBe(
      '{"prompt":"Describe tea in one sentence.","completions":["Leaves steeped in hot water, drunk the world over.","A warm, fragrant infusion of leaves.","Tea."],"annotator":"sim-len"}\n',
    );
  });

  it('exports Chatbot Arena battles between snapshots, model_a being the left candidate', () => {
    const rows = battleRows(v2());
    expect(rows.map((r) => [r.model_a, r.model_b, r.winner, r.question_id])).toEqual([
      // shown [r2, r1], both from "reference": not a battle between models, so skipped;
      // primes: q1 (after-1) on the left, q1 chosen.
      ['after-1', 'reference', 'model_a', 'primes'],
      // the bothbad vote on "rain" is between two reference candidates: skipped too.
      // the tie on "primes", shown [q2, q1].
      ['reference', 'after-1', 'tie', 'primes'],
    ]);
    expect(rows[0]).toMatchObject({ judge: 'human', tstamp: 1741944612 });
    const parsed = parseDatasetJsonl(exportDatasetJsonl(v2(), 'battles'), 'battles');
    expect(parsed.ok && parsed.rows).toEqual(rows);
  });

  it('writes nothing for a session without votes', () => {
    expect(exportDatasetJsonl(createSession({ now: 0 }), 'preference')).toBe('');
  });

  it('imports with line-numbered errors', () => {
    const text = [
      '{"prompt":"a","chosen":"b","rejected":"c"}',
      '',
      '{"prompt":"d","chosen":"e","rejected":"f","score":0.3}',
      '{"prompt":"g","chosen":7,"rejected":"h"}',
    ].join('\n');
    expect(parseDatasetJsonl(text, 'preference')).toEqual({ ok: false, error: 'line 4: "chosen" must be a string, not a number' });
    const fixed = parseDatasetJsonl(text.replace('"chosen":7', '"chosen":"7"'), 'preference');
    expect(fixed.ok && fixed.rows).toEqual([
      { prompt: 'a', chosen: 'b', rejected: 'c' },
      { prompt: 'd', chosen: 'e', rejected: 'f' },
      { prompt: 'g', chosen: '7', rejected: 'h' },
    ]);
    expect(parseDatasetJsonl('{"prompt":"a","chosen":"b"}\n', 'preference')).toEqual({ ok: false, error: 'line 1: "rejected" is required' });
    expect(parseDatasetJsonl('{"prompt":"a"\n', 'preference')).toEqual({ ok: false, error: 'line 1: not valid JSON' });
    expect(parseDatasetJsonl('[1,2]\n', 'thumbs')).toEqual({ ok: false, error: 'line 1: expected a JSON object, got a list' });
    expect(parseDatasetJsonl('{"prompt":"a","completion":"b","label":"yes"}', 'thumbs')).toEqual({
      ok: false,
      error: 'line 1: "label" must be true or false, not a string',
    });
    expect(parseDatasetJsonl('{"prompt":"a","completions":["b",3]}', 'ranking')).toEqual({
      ok: false,
      error: 'line 1: "completions[1]" must be a string, not a number',
    });
    expect(parseDatasetJsonl('{"model_a":"x","model_b":"y","winner":"draw"}', 'battles')).toEqual({
      ok: false,
      error: 'line 1: "winner" must be one of "model_a", "model_b", "tie", "tie (bothbad)", not "draw"',
    });
    expect(parseDatasetJsonl('\n\n', 'battles')).toEqual({ ok: false, error: 'The file holds no rows.' });
  });

  it('enforces size, row and text limits on import', () => {
    const row = '{"prompt":"a","chosen":"b","rejected":"c"}\n';
    expect(parseDatasetJsonl(row.repeat(4), 'preference', { maxRows: 3 })).toEqual({
      ok: false,
      error: 'line 4: the file has more than 3 rows',
    });
    expect(parseDatasetJsonl(row.repeat(100), 'preference', { maxBytes: 1024 })).toEqual({
      ok: false,
      error: 'This file is larger than the 1 KB limit.',
    });
    const long = JSON.stringify({ prompt: 'p', chosen: 'x'.repeat(20_001), rejected: 'r' });
    expect(parseDatasetJsonl(long, 'preference')).toEqual({
      ok: false,
      error: 'line 1: "chosen" is 20 001 characters long; the limit is 20 000',
    });
  });

  it('appends imported rows to a session as votes that export back to the same rows', () => {
    const nextId = createIdGenerator({ seed: 12 });
    const duel = createCell('duel', nextId);
    const start = createSession({ now: 0, cells: [duel] });
    const pairs = parseDatasetJsonl('{"prompt":"p1","chosen":"good","rejected":"bad"}\n{"prompt":"p2","chosen":"yes","rejected":"no"}', 'preference');
    const thumbs = parseDatasetJsonl('{"prompt":"p3","completion":"meh","label":false}', 'thumbs');
    const ranks = parseDatasetJsonl('{"prompt":"p4","completions":["1st","2nd","3rd"]}', 'ranking');
    if (!pairs.ok || !thumbs.ok || !ranks.ok) throw new Error('fixture rows did not parse');
    const doc = appendDatasetRows(start, [...pairs.rows, ...thumbs.rows, ...ranks.rows], { cellId: duel.id, nextId, now: 1000 });
    expect(start.events).toHaveLength(0);
    expect(doc.events).toHaveLength(12);
    expect(parseSessionDocument(doc).ok).toBe(true);
    // Imported votes are the dataset's (judge "dataset"); an imported file's own annotator
    // column is not carried in, so a file cannot pass its rows off as this person's votes.
    expect(exportDatasetJsonl(doc, 'thumbs')).toBe('{"prompt":"p3","completion":"meh","label":false,"annotator":"dataset"}\n');
    expect(exportDatasetJsonl(doc, 'ranking')).toBe('{"prompt":"p4","completions":["1st","2nd","3rd"],"annotator":"dataset"}\n');
    expect(votesToPreferencePairs(doc.events, { rankings: 'none' }).map((p) => [p.prompt, p.chosen, p.rejected, p.judge])).toEqual([
      ['p1', 'good', 'bad', 'dataset'],
      ['p2', 'yes', 'no', 'dataset'],
    ]);
  });
});
