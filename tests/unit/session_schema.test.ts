import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CURRENT_SESSION_VERSION,
  SESSION_LIMITS,
  createIdGenerator,
  parseSessionDocument,
  safeHref,
  serializeSession,
  type SessionDocument,
} from '../../src/session/index.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/sessions/${name}`, import.meta.url), 'utf8');

function parseOk(input: unknown): SessionDocument {
  const result = parseSessionDocument(input);
  if (!result.ok) throw new Error(`expected a valid session, got: ${result.error}`);
  return result.doc;
}

function parseError(input: unknown, options?: { maxBytes?: number }): string {
  const result = parseSessionDocument(input, options);
  if (result.ok) throw new Error('expected the session to be rejected');
  return result.error;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

describe('session fixtures', () => {
  it('loads the version 2 fixture and writes it back byte for byte', () => {
    const text = fixture('v2_valid.json');
    const result = parseSessionDocument(text);
    expect(result.ok && result.fromVersion).toBe(2);
    const doc = parseOk(text);
    expect(doc.cells.map((c) => c.kind)).toEqual(['policy', 'prompts', 'duel', 'train', 'arena', 'duel', 'duel', 'simulate', 'note']);
    expect(doc.events).toHaveLength(19);
    expect(serializeSession(doc)).toBe(text);
  });

  it('loads the version 1 fixture by migrating it', () => {
    const result = parseSessionDocument(fixture('v1_valid.json'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.fromVersion).toBe(1);
    expect(result.doc.version).toBe(CURRENT_SESSION_VERSION);
  });

  const failures: [file: string, message: string | RegExp][] = [
    ['malformed_bad_json.json', /^This file is not valid JSON \(/],
    ['malformed_missing_field.json', 'metadata.title: is required'],
    ['malformed_wrong_type.json', 'cells[3].config.beta: expected a number, got a string'],
    [
      'malformed_future_version.json',
      'This session was written by a newer Duelbook (version 3); this version reads up to 2.',
    ],
    ['malformed_too_many_cells.json', 'cells: this session has 201 cells; the limit is 200'],
    [
      'malformed_dangling_vote.json',
      'events[3].b: candidate "zzz" was not shown for prompt "rain" before this vote',
    ],
    [
      'malformed_script_url.json',
      'cells[0].config.source.url: must be an http(s) URL or a path relative to the app (and 1 more problem)',
    ],
    [
      'malformed_v1_bad_winner.json',
      'events[2].winner: expected one of "A", "B", "tie", got "C" (in a version 1 session)',
    ],
    ['not_a_session.json', 'This is not a Duelbook session: format: is required (expected "duelbook.session").'],
  ];
  for (const [file, message] of failures) {
    it(`rejects ${file} with a message naming the problem`, () => {
      const error = parseError(fixture(file));
      if (typeof message === 'string') expect(error).toBe(message);
      else expect(error).toMatch(message);
    });
  }
});

describe('parseSessionDocument', () => {
  const valid = () => JSON.parse(fixture('v2_valid.json')) as Record<string, unknown> & SessionDocument;

  it('accepts an already-parsed value and returns a copy, leaving the input alone', () => {
    const input = deepFreeze(valid());
    const doc = parseOk(input);
    expect(doc).toEqual(input);
    expect(doc).not.toBe(input);
    expect(doc.cells[0]).not.toBe(input.cells[0]);
    expect(doc.events[2]).not.toBe(input.events[2]);
  });

  it('does not mutate a version 1 input while migrating it', () => {
    const input = deepFreeze(JSON.parse(fixture('v1_valid.json')));
    const before = JSON.stringify(input);
    parseOk(input);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('never throws, whatever it is given', () => {
    const cyclic: Record<string, unknown> = { format: 'duelbook.session' };
    cyclic['self'] = cyclic;
    for (const input of [undefined, null, 42, 'null', '[]', [], cyclic, { format: 'duelbook.session', version: 'two' }]) {
      const result = parseSessionDocument(input);
      expect(result.ok).toBe(false);
    }
    expect(parseError(cyclic)).toBe('This session cannot be represented as JSON.');
    expect(parseError({ format: 'duelbook.session', version: 'two' })).toBe('version: expected a number, got a string');
    expect(parseError({ format: 'other.thing', version: 2 })).toBe(
      'This is not a Duelbook session: format: expected "duelbook.session", got "other.thing".',
    );
    expect(parseError([])).toBe('This is not a Duelbook session: expected a JSON object.');
  });

  it('names the path of a bad nested value and counts further problems', () => {
    const doc = valid();
    (doc.cells[2]!.config as Record<string, unknown>)['sampling'] = { temperature: -1, topK: 1.5, topP: 0.9, maxTokens: 10 };
    expect(parseError(doc)).toBe('cells[2].config.sampling.temperature: must be at least 0 (and 1 more problem)');
  });

  it('reports an unknown cell kind and an unknown event type', () => {
    const badKind = valid();
    (badKind.cells[1] as Record<string, unknown>)['kind'] = 'spreadsheet';
    expect(parseError(badKind)).toBe(
      'cells[1].kind: expected one of "policy", "prompts", "duel", "train", "arena", "simulate", "note", got "spreadsheet"',
    );
    const badType = valid();
    (badType.events[0] as Record<string, unknown>)['type'] = 'dance';
    expect(parseError(badType)).toMatch(/^events\[0\]\.type: expected one of "prompt", "candidates", "vote", /);
  });

  it('enforces the objective names TRL uses', () => {
    const doc = valid();
    (doc.cells[3]!.config as Record<string, unknown>)['objective'] = 'dpo';
    expect(parseError(doc)).toMatch(/^cells\[3\]\.config\.objective: expected one of "sigmoid", "cdpo", .*"kto", "plackett_luce", "lipo_lambda", got "dpo"$/);
  });

  it('enforces text limits', () => {
    const longPrompt = valid();
    (longPrompt.events[1] as { text: string }).text = 'x'.repeat(SESSION_LIMITS.maxPromptChars + 1);
    expect(parseError(longPrompt)).toBe('events[1].text: is 20 001 characters long; the limit is 20 000');

    const longNote = valid();
    const noteIndex = longNote.cells.findIndex((c) => c.kind === 'note');
    (longNote.cells[noteIndex]!.config as { text: string }).text = 'n'.repeat(SESSION_LIMITS.maxNoteChars);
    expect(parseSessionDocument(longNote).ok).toBe(true);
    (longNote.cells[noteIndex]!.config as { text: string }).text += '!';
    expect(parseError(longNote)).toBe(`cells[${noteIndex}].config.text: is 100 001 characters long; the limit is 100 000`);
  });

  it('rejects too many events before validating them', () => {
    const doc = valid();
    const filler = { seq: 0, t: 0, cellId: 'x', type: 'seed', seed: 1 };
    (doc as { events: unknown[] }).events = new Array(SESSION_LIMITS.maxEvents + 1).fill(filler);
    expect(parseError(doc)).toBe('events: this session has 100 001 events; the limit is 100 000');
  });

  it('rejects documents over the byte cap, for text and for values', () => {
    const text = fixture('v2_valid.json');
    expect(parseError(text, { maxBytes: 1024 })).toBe('This session is larger than the 1 KB limit.');
    const small = 4096;
    expect(parseError(text, { maxBytes: small })).toMatch(/^This session is larger than/);
    expect(parseError(JSON.parse(text), { maxBytes: small })).toMatch(/^This session is larger than/);
    // Multi-byte characters count as the bytes they take in UTF-8, not as code units.
    const wide = JSON.parse(text);
    wide.metadata.title = '数'.repeat(190);
    const wideText = JSON.stringify(wide);
    expect(parseSessionDocument(wideText, { maxBytes: wideText.length + 10 }).ok).toBe(false);
    expect(parseSessionDocument(wideText, { maxBytes: wideText.length + 2 * 190 }).ok).toBe(true);
  });

  it('checks integrity across events', () => {
    const dupCell = valid();
    dupCell.cells[4]!.id = dupCell.cells[1]!.id;
    expect(parseError(dupCell)).toBe(`cells[4].id: "${dupCell.cells[1]!.id}" is already the id of cells[1]`);

    const seqBack = valid();
    seqBack.events[5]!.seq = 4;
    expect(parseError(seqBack)).toBe("events[5].seq: must be greater than the previous event's seq (4), got 4");

    const undoForward = valid();
    (undoForward.events[9] as { targetSeq: number }).targetSeq = 12;
    expect(parseError(undoForward)).toBe('events[9].targetSeq: no earlier event has seq 12');

    const badOrder = valid();
    (badOrder.events[3] as { shownOrder: string[] }).shownOrder = ['r1', 'r1'];
    expect(parseError(badOrder)).toBe('events[3].shownOrder: must list exactly the two candidates a and b');

    const rankTwice = valid();
    (rankTwice.events[13] as { order: string[] }).order = ['t3', 't3', 't2'];
    expect(parseError(rankTwice)).toBe('events[13].order[1]: "t3" is ranked twice');

    const orphan = valid();
    (orphan.events[2] as { promptId: string }).promptId = 'nowhere';
    expect(parseError(orphan)).toBe('events[2].promptId: no earlier prompt event has id "nowhere"');
  });

  it('rejects a pairwise duel with three candidates', () => {
    const doc = valid();
    (doc.cells[2]!.config as { candidatesPerPrompt: number }).candidatesPerPrompt = 3;
    expect(parseError(doc)).toBe(
      'cells[2].config.candidatesPerPrompt: must be 2 for a pairwise duel and at least 2 for a ranking',
    );
  });

  it('drops unknown keys instead of rejecting them', () => {
    const doc = valid() as SessionDocument & { comment?: string };
    doc.comment = 'hand-edited';
    const parsed = parseOk(doc);
    expect('comment' in parsed).toBe(false);
  });
});

describe('safeHref', () => {
  it('allows http(s), mailto and relative links', () => {
    for (const url of ['https://huggingface.co/docs/trl', 'http://example.com', 'mailto:a@b.c', '/docs', 'notes#x', '?q=1', '#top', 'a/b:c']) {
      expect(safeHref(url)).toBe(url);
    }
    expect(safeHref('  HTTPS://example.com  ')).toBe('HTTPS://example.com');
  });

  it('refuses script-bearing and other schemes, however they are disguised', () => {
    for (const url of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'java\nscript:alert(1)',
      '\u0001javascript:alert(1)',
      'java script:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
      'file:///etc/passwd',
      'blob:https://x/y',
      'javascript&colon;alert(1):',
      '',
      '   ',
    ]) {
      expect(safeHref(url), JSON.stringify(url)).toBeNull();
    }
  });
});

describe('createIdGenerator', () => {
  it('is reproducible with a seed and makes base36 ids starting with a letter', () => {
    const a = createIdGenerator({ seed: 99 });
    const b = createIdGenerator({ seed: 99 });
    const idsA = Array.from({ length: 50 }, a);
    expect(Array.from({ length: 50 }, b)).toEqual(idsA);
    for (const id of idsA) expect(id).toMatch(/^[a-z][0-9a-z]{9}$/);
    expect(new Set(idsA).size).toBe(50);
    expect(createIdGenerator({ seed: 100 })()).not.toBe(idsA[0]);
  });

  it('draws from crypto without a seed', () => {
    const next = createIdGenerator({ length: 16 });
    const ids = new Set(Array.from({ length: 200 }, next));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[a-z][0-9a-z]{15}$/);
  });
});
