import { parseArgs } from 'node:util';
import { parseArenaJsonl } from '../../engine/ratings/battles';
import { aggregateBattles } from '../../engine/ratings/counts';
import { buildLeaderboard } from '../../engine/ratings/leaderboard';
import { TIE_MODELS, type TieModel } from '../../engine/ratings/tie_models';
import { UsageError } from '../io';
import { choiceFlag, intFlag, numberFlag, parseIntValue, parseNumberValue, seedFlag, textFlag } from '../flags';
import { terminalSafe, terminalSafeJson } from '../terminal_text';

export const rateHelp = `duelbook rate --input battles.jsonl [--ties half|davidson|rao-kupper] [--bootstrap N]
             [--seed S] [--anchor NAME=RATING] [--level 0.95] [--skip-invalid] [--json]
  Bradley–Terry ratings as Chatbot Arena computes them (400θ + 1000 scale, mean 1000 unless
  --anchor pins one competitor) from Arena JSONL lines {"model_a", "model_b", "winner"}, with
  winner one of "model_a", "model_b", "tie", "tie (bothbad)". Intervals are seeded bootstrap
  percentiles with --bootstrap N > 0, sandwich standard errors otherwise: exact up to 500
  competitors, beyond that an O(pairs) diagonal approximation ("ciMethod": "sandwich-diagonal").
  Rank = 1 + the number of competitors whose lower bound is above this one's upper bound.
  Malformed lines (bad JSON, a missing name, a winner that is not one of the four) are listed on
  stderr ("line N: …") and make the command fail; --skip-invalid rates the rest and reports how
  many were skipped. Progress goes to stderr for inputs over 4 MB or when stderr is a terminal.
  --json prints {"ratings": [{"name", "rating", "ci": [low, high], "rank"}, …], "battles", "ties",
  "bothbad", "skipped", "ciMethod", …} sorted by rating.`;

export interface RateIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readFile: (path: string) => Promise<string>;
  /** True when stderr is a terminal: progress is then shown whatever the input's size. */
  isTTY?: boolean;
}

/**
 * Up to this many competitors the sandwich intervals are exact (dense, O(n³)); beyond, the
 * O(pairs) diagonal approximation. 500 is where the fit also switches from Newton to MM; on the
 * shared 2-core machine the exact sandwich took 39–41 s at 1,000 competitors and 65 s at 1,500,
 * and the approximation's standard errors were within 1.3% of it with ≥ 40 battles per
 * competitor and within −3.3%…+9.2% with 20 (scripts/rate/runs/compare_intervals.json).
 */
export const EXACT_SANDWICH_MAX_COMPETITORS = 500;

/** Inputs above this size (characters, ≈ 60,000 battles) report progress on stderr. */
const PROGRESS_MIN_CHARS = 4_000_000;

/** Invalid lines listed one by one before the rest are only counted. */
const LISTED_INVALID_LINES = 20;

function parseAnchor(text: string): { name: string; rating: number } {
  // Split at the last '=' so model names containing '=' still work.
  const at = text.lastIndexOf('=');
  if (at <= 0 || at === text.length - 1) throw new UsageError(`--anchor must be NAME=RATING, got ${JSON.stringify(terminalSafe(text))}`);
  const rating = parseNumberValue('anchor', text.slice(at + 1), { min: -1e6, max: 1e6 });
  return { name: text.slice(0, at), rating };
}

/** Round for printing: ratings to 1e-4 rating points keeps JSON short and stable. */
function r4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** `duelbook rate`: returns the exit code (0 ok, 1 invalid input, 2 usage error). */
export async function rateCommand(argv: string[], io: RateIO): Promise<number> {
  let input: string;
  let tieModel: TieModel;
  let rounds: number;
  let seed: number | string;
  let level: number;
  let anchor: { name: string; rating: number } | undefined;
  let json: boolean;
  let skipInvalid: boolean;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        input: { type: 'string', short: 'i' },
        ties: { type: 'string' },
        bootstrap: { type: 'string' },
        seed: { type: 'string' },
        anchor: { type: 'string' },
        level: { type: 'string' },
        json: { type: 'boolean', default: false },
        'skip-invalid': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    const file = textFlag('input', values.input);
    if (file === undefined) throw new UsageError('--input is required');
    input = file;
    tieModel = choiceFlag('ties', values.ties, 'half', TIE_MODELS);
    rounds = intFlag('bootstrap', values.bootstrap, 0, { min: 0, max: 100_000 });
    seed = seedFlag(values.seed);
    level = numberFlag('level', values.level, 0.95, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    anchor = values.anchor === undefined ? undefined : parseAnchor(values.anchor);
    json = values.json ?? false;
    skipInvalid = values['skip-invalid'] ?? false;
  } catch (e) {
    io.stderr(`duelbook rate: ${terminalSafe((e as Error).message)}\n`);
    return 2;
  }

  const started = performance.now();
  let showProgress = io.isTTY === true;
  const progress = (message: string) => {
    if (showProgress) io.stderr(`rate: ${message} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  };
  progress(`reading ${terminalSafe(input)}`);
  let text: string;
  try {
    text = await io.readFile(input);
  } catch (e) {
    io.stderr(`duelbook rate: cannot read ${terminalSafe(input)}: ${terminalSafe((e as Error).message)}\n`);
    return 1;
  }
  showProgress ||= text.length > PROGRESS_MIN_CHARS;
  progress(`parsing ${text.length} characters`);
  const parsed = parseArenaJsonl(text);
  for (const err of parsed.errors.slice(0, LISTED_INVALID_LINES)) io.stderr(`line ${err.line}: ${terminalSafe(err.message)}\n`);
  if (parsed.errors.length > LISTED_INVALID_LINES) io.stderr(`… and ${parsed.errors.length - LISTED_INVALID_LINES} more invalid lines\n`);
  const skipped = parsed.errors.length;
  if (skipped > 0 && !skipInvalid) {
    io.stderr(`duelbook rate: ${skipped} invalid line${skipped === 1 ? '' : 's'}, the first line ${parsed.errors[0]!.line} (use --skip-invalid to rate the rest)\n`);
    return 1;
  }
  if (parsed.battles.length === 0) {
    io.stderr('duelbook rate: no battles to rate\n');
    return 1;
  }
  progress(`counting ${parsed.battles.length} battles`);
  const counts = aggregateBattles(parsed.battles);
  if (anchor && !counts.names.includes(anchor.name)) {
    io.stderr(`duelbook rate: --anchor "${terminalSafe(anchor.name)}" is not a competitor in ${terminalSafe(input)}\n`);
    return 2;
  }
  const board = buildLeaderboard(counts, {
    ties: tieModel,
    bootstrapRounds: rounds,
    seed,
    level,
    anchor,
    exactSandwichMaxCompetitors: EXACT_SANDWICH_MAX_COMPETITORS,
    onStage: progress,
  });
  for (const w of board.fit.warnings) io.stderr(`warning: ${terminalSafe(w)}\n`);
  const ciMethod = board.ciMethod === 'sandwich' && board.sandwichForm === 'diagonal' ? 'sandwich-diagonal' : board.ciMethod;
  progress('done');

  if (json) {
    const out = {
      ratings: board.rows.map((r) => ({
        name: r.name,
        rating: r4(r.rating),
        ci: [r4(r.ci[0]), r4(r.ci[1])],
        rank: r.rank,
        battles: r.battles,
      })),
      battles: board.totals.battles,
      ties: board.totals.ties,
      bothbad: board.totals.bothBad,
      skipped,
      tieModel,
      tieParameter: board.fit.tieParameter,
      ciMethod,
      level,
      bootstrapRounds: rounds,
      seed,
      anchor: anchor ?? null,
    };
    io.stdout(terminalSafeJson(out) + '\n');
    return 0;
  }
  const shownNames = board.rows.map((r) => terminalSafe(r.name));
  const width = Math.max(4, ...shownNames.map((nm) => nm.length));
  const pct = Math.round(level * 100);
  const lines = [`${'rank'.padStart(4)}  ${'model'.padEnd(width)}  ${'rating'.padStart(8)}  ${`${pct}% interval`.padStart(19)}  battles\n`];
  board.rows.forEach((r, k) => {
    lines.push(
      `${String(r.rank).padStart(4)}  ${shownNames[k]!.padEnd(width)}  ${r.rating.toFixed(1).padStart(8)}  ` +
        `${`[${r.ci[0].toFixed(1)}, ${r.ci[1].toFixed(1)}]`.padStart(19)}  ${r.battles}\n`,
    );
  });
  io.stdout(lines.join(''));
  const tp = board.fit.tieParameter;
  io.stdout(
    `\n${board.totals.battles} battles (${board.totals.ties} ties, ${board.totals.bothBad} both bad); ties: ${tieModel}` +
      `${tp === null ? '' : ` (${tieModel === 'davidson' ? 'ν' : 'θ'} = ${tp.toFixed(4)})`}; intervals: ${ciMethod}` +
      `${board.ciMethod === 'bootstrap' ? ` (${rounds} rounds, seed ${terminalSafe(String(seed))})` : ''}` +
      `${skipped > 0 ? `; ${skipped} invalid line${skipped === 1 ? '' : 's'} skipped` : ''}\n`,
  );
  return 0;
}
