/**
 * Battles: one pairwise verdict between two named competitors, and the parser for Chatbot
 * Arena's JSONL battle logs.
 *
 * "Both bad" is kept as its own outcome everywhere it is counted: Arena's leaderboard fits
 * it as a tie, but a person saying "neither answer is acceptable" is different information
 * from "they are equally good", and the playground reports the two separately.
 */

/** Verdict from the point of view of `modelA`: A won, B won, a tie, or both were bad. */
export type Outcome = 'a' | 'b' | 'tie' | 'bothbad';

export const OUTCOMES: readonly Outcome[] = ['a', 'b', 'tie', 'bothbad'];

export interface Battle {
  readonly modelA: string;
  readonly modelB: string;
  readonly outcome: Outcome;
}

/** A line that could not be turned into a battle, with its 1-based line number. */
export interface BattleParseError {
  readonly line: number;
  readonly message: string;
}

export interface ParsedBattles {
  readonly battles: Battle[];
  /** Every rejected line; nothing is dropped silently. Blank lines are not errors. */
  readonly errors: BattleParseError[];
  /** 1-based source line of each battle in `battles` (same order). */
  readonly lines: number[];
}

/** Arena's `winner` field → our outcome. */
const ARENA_WINNER: Readonly<Record<string, Outcome>> = {
  model_a: 'a',
  model_b: 'b',
  tie: 'tie',
  'tie (bothbad)': 'bothbad',
};

/** Our outcome → Arena's `winner` field (for export). */
export const ARENA_WINNER_OF: Readonly<Record<Outcome, string>> = {
  a: 'model_a',
  b: 'model_b',
  tie: 'tie',
  bothbad: 'tie (bothbad)',
};

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Parse one JSON object in Arena's battle format. Returns the battle or a message saying what
 * is wrong. Extra fields (`anony`, `language`, `tstamp`, …) are ignored.
 */
export function parseArenaBattle(value: unknown): Battle | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `expected a JSON object, got ${Array.isArray(value) ? 'an array' : describe(value)}`;
  }
  const rec = value as Record<string, unknown>;
  const a = rec['model_a'];
  const b = rec['model_b'];
  const w = rec['winner'];
  if (typeof a !== 'string' || a.length === 0) return `"model_a" must be a non-empty string (${describe(a)})`;
  if (typeof b !== 'string' || b.length === 0) return `"model_b" must be a non-empty string (${describe(b)})`;
  if (a === b) return `"model_a" and "model_b" are the same competitor ("${a}")`;
  // An own-property check: `in` would also accept inherited names such as "toString".
  if (typeof w !== 'string' || !Object.hasOwn(ARENA_WINNER, w)) {
    return `"winner" must be one of "model_a", "model_b", "tie", "tie (bothbad)" (${describe(w)})`;
  }
  return { modelA: a, modelB: b, outcome: ARENA_WINNER[w]! };
}

/**
 * Parse Chatbot Arena JSONL: one `{"model_a", "model_b", "winner"}` object per line. Handles
 * `\n` and `\r\n`; blank lines are skipped; every malformed line is reported with its number.
 */
export function parseArenaJsonl(text: string): ParsedBattles {
  const battles: Battle[] = [];
  const errors: BattleParseError[] = [];
  const lines: number[] = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const raw = rows[i]!;
    const trimmed = raw.trim();
    if (trimmed.length === 0) continue;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      errors.push({ line, message: `invalid JSON (${(e as Error).message})` });
      continue;
    }
    const parsed = parseArenaBattle(value);
    if (typeof parsed === 'string') errors.push({ line, message: parsed });
    else {
      battles.push(parsed);
      lines.push(line);
    }
  }
  return { battles, errors, lines };
}

/** Serialise battles back to Arena JSONL (one object per line, trailing newline). */
export function toArenaJsonl(battles: Iterable<Battle>): string {
  let out = '';
  for (const b of battles) {
    out += JSON.stringify({ model_a: b.modelA, model_b: b.modelB, winner: ARENA_WINNER_OF[b.outcome] }) + '\n';
  }
  return out;
}
