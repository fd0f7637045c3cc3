import { parseArgs } from 'node:util';
import { parseArenaJsonl } from '../../engine/ratings/battles';
import { aggregateBattles } from '../../engine/ratings/counts';
import { buildLeaderboard } from '../../engine/ratings/leaderboard';
import { TIE_MODELS, type TieModel } from '../../engine/ratings/tie_models';

export const rateHelp = `duelbook rate --input battles.jsonl [--ties half|davidson|rao-kupper] [--bootstrap N]
             [--seed S] [--anchor NAME=RATING] [--level 0.95] [--skip-invalid] [--json]
  Bradley–Terry ratings as Chatbot Arena computes them (400θ + 1000 scale, mean 1000 unless
  --anchor pins one competitor) from Arena JSONL lines {"model_a", "model_b", "winner"}, with
  winner one of "model_a", "model_b", "tie", "tie (bothbad)". Intervals are seeded bootstrap
  percentiles with --bootstrap N > 0, sandwich standard errors otherwise. Rank = 1 + the number
  of competitors whose lower bound is above this one's upper bound. Malformed lines are listed
  on stderr ("line N: …") and make the command fail unless --skip-invalid.
  --json prints {"ratings": [{"name", "rating", "ci": [low, high], "rank"}, …], "battles", "ties",
  "bothbad", …} sorted by rating.`;

export interface RateIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readFile: (path: string) => Promise<string>;
}

class RateUsageError extends Error {}

function parseAnchor(text: string): { name: string; rating: number } {
  // Split at the last '=' so model names containing '=' still work.
  const at = text.lastIndexOf('=');
  if (at <= 0 || at === text.length - 1) throw new RateUsageError(`--anchor must be NAME=RATING, got "${text}"`);
  const rating = Number(text.slice(at + 1));
  if (!Number.isFinite(rating)) throw new RateUsageError(`--anchor rating must be a number, got "${text.slice(at + 1)}"`);
  return { name: text.slice(0, at), rating };
}

function parseIntOption(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new RateUsageError(`--${name} must be an integer ≥ ${min}, got "${text}"`);
  return v;
}

/** Round for printing: ratings to 1e-4 rating points keeps JSON short and stable. */
function r4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** `duelbook rate`: returns the exit code (0 ok, 1 invalid input, 2 usage error). */
export async function rateCommand(argv: string[], io: RateIO): Promise<number> {
  let values: {
    input?: string;
    ties?: string;
    bootstrap?: string;
    seed?: string;
    anchor?: string;
    level?: string;
    json?: boolean;
    'skip-invalid'?: boolean;
  };
  let tieModel: TieModel;
  let rounds: number;
  let seed: number | string;
  let level: number;
  let anchor: { name: string; rating: number } | undefined;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        input: { type: 'string', short: 'i' },
        ties: { type: 'string', default: 'half' },
        bootstrap: { type: 'string' },
        seed: { type: 'string' },
        anchor: { type: 'string' },
        level: { type: 'string' },
        json: { type: 'boolean', default: false },
        'skip-invalid': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
    if (!values.input) throw new RateUsageError('--input is required');
    if (!(TIE_MODELS as readonly string[]).includes(values.ties ?? 'half')) {
      throw new RateUsageError(`--ties must be one of ${TIE_MODELS.join(', ')}, got "${values.ties}"`);
    }
    tieModel = (values.ties ?? 'half') as TieModel;
    rounds = parseIntOption('bootstrap', values.bootstrap, 0, 0);
    const seedText = values.seed ?? '0';
    seed = /^-?\d+$/.test(seedText) ? Number(seedText) : seedText;
    level = values.level === undefined ? 0.95 : Number(values.level);
    if (!(level > 0 && level < 1)) throw new RateUsageError(`--level must be in (0, 1), got "${values.level}"`);
    anchor = values.anchor === undefined ? undefined : parseAnchor(values.anchor);
  } catch (e) {
    io.stderr(`duelbook rate: ${(e as Error).message}\n`);
    return 2;
  }

  let text: string;
  try {
    text = await io.readFile(values.input);
  } catch (e) {
    io.stderr(`duelbook rate: cannot read ${values.input}: ${(e as Error).message}\n`);
    return 1;
  }
  const parsed = parseArenaJsonl(text);
  for (const err of parsed.errors) io.stderr(`line ${err.line}: ${err.message}\n`);
  if (parsed.errors.length > 0 && !values['skip-invalid']) {
    io.stderr(`duelbook rate: ${parsed.errors.length} invalid line${parsed.errors.length === 1 ? '' : 's'} (use --skip-invalid to rate the rest)\n`);
    return 1;
  }
  if (parsed.battles.length === 0) {
    io.stderr('duelbook rate: no battles to rate\n');
    return 1;
  }
  const counts = aggregateBattles(parsed.battles);
  if (anchor && !counts.names.includes(anchor.name)) {
    io.stderr(`duelbook rate: --anchor "${anchor.name}" is not a competitor in ${values.input}\n`);
    return 2;
  }
  const board = buildLeaderboard(counts, { ties: tieModel, bootstrapRounds: rounds, seed, level, anchor });
  for (const w of board.fit.warnings) io.stderr(`warning: ${w}\n`);

  if (values.json) {
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
      tieModel,
      tieParameter: board.fit.tieParameter,
      ciMethod: board.ciMethod,
      level,
      bootstrapRounds: rounds,
      seed,
      anchor: anchor ?? null,
    };
    io.stdout(JSON.stringify(out) + '\n');
    return 0;
  }
  const width = Math.max(4, ...board.rows.map((r) => r.name.length));
  const pct = Math.round(level * 100);
  io.stdout(`${'rank'.padStart(4)}  ${'model'.padEnd(width)}  ${'rating'.padStart(8)}  ${`${pct}% interval`.padStart(19)}  battles\n`);
  for (const r of board.rows) {
    io.stdout(
      `${String(r.rank).padStart(4)}  ${r.name.padEnd(width)}  ${r.rating.toFixed(1).padStart(8)}  ` +
        `${`[${r.ci[0].toFixed(1)}, ${r.ci[1].toFixed(1)}]`.padStart(19)}  ${r.battles}\n`,
    );
  }
  const tp = board.fit.tieParameter;
  io.stdout(
    `\n${board.totals.battles} battles (${board.totals.ties} ties, ${board.totals.bothBad} both bad); ties: ${tieModel}` +
      `${tp === null ? '' : ` (${tieModel === 'davidson' ? 'ν' : 'θ'} = ${tp.toFixed(4)})`}; intervals: ${board.ciMethod}` +
      `${board.ciMethod === 'bootstrap' ? ` (${rounds} rounds, seed ${seed})` : ''}\n`,
  );
  return 0;
}
