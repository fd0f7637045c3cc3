import { parseArgs } from 'node:util';
import {
  agreementReport,
  parseAnnotationJsonl,
  parseGoldJsonl,
  type AgreementLabel,
  type AgreementReport,
  type ItemId,
  type LineError,
} from '../../engine/stats/agreement/index.ts';
import { UsageError } from '../io';
import { intFlag, numberFlag, parseIntValue, seedFlag, textFlag } from '../flags';
import { terminalSafe, terminalSafeJson } from '../terminal_text';

export const agreementHelp = `duelbook agreement --input labels.jsonl [--bootstrap N] [--seed S] [--level 0.95]
                  [--gold gold.jsonl] [--gold-threshold 0.7] [--gold-min 3] [--skip-invalid] [--json]
  Agreement between annotators from JSONL lines {"item": ID, "annotator": NAME, "label": VALUE}
  (ID and VALUE strings or numbers; 1 and "1" differ). Krippendorff's α, nominal, over the items
  with labels from two or more annotators (a value no one else gave to its item is not pairable);
  ordinal α too when the labels are all numbers or all Duelbook pair labels (b < tie < a, with
  bothbad counted as tie), and interval α for numbers. α is null, with the reason, when no item
  has two labels or when every pairable label is the same. --bootstrap N > 0 adds a seeded
  percentile interval from resampling items (not Hayes & Krippendorff's 2007 bootstrap of pairs).
  Also Cohen's κ for each pair of annotators on the items both labelled, each annotator's
  agreement with the leave-one-out consensus (the majority of the others; items where the others
  tie are skipped), and with --gold ({"item": ID, "label": VALUE} lines) each annotator's
  accuracy on gold items, flagged below --gold-threshold once they answered --gold-min of them.
  Malformed lines and a second label from one annotator for one item are listed on stderr
  ("line N: …") and make the command fail; --skip-invalid uses the rest (the first label of a
  duplicate) and reports how many lines were skipped. Errors in the gold file always fail.
  --json prints {"alpha", "items", "annotators", "ci", "ordinal", "interval", "kappa": [{"pair",
  "items", "agreement", "kappa"}, …], "perAnnotator": […], "gold", "skipped", "labelCount",
  "labels" (when there are at most 100), …}.`;

export interface AgreementIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readFile: (path: string) => Promise<string>;
}

/** Labels (and ordinal scale points) listed in the output up to this many; beyond, only counted. */
const LISTED_LABELS = 100;

/** Invalid lines listed one by one before the rest are only counted. */
const LISTED_INVALID_LINES = 20;

function listErrors(io: AgreementIO, prefix: string, errors: readonly LineError[]): void {
  for (const err of errors.slice(0, LISTED_INVALID_LINES)) io.stderr(`${prefix}line ${err.line}: ${terminalSafe(err.message)}\n`);
  if (errors.length > LISTED_INVALID_LINES) io.stderr(`… and ${errors.length - LISTED_INVALID_LINES} more invalid lines\n`);
}

function fixed(x: number | null, digits = 4): string {
  return x === null ? 'undefined' : x.toFixed(digits);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function shownLabel(label: AgreementLabel): string {
  return terminalSafe(JSON.stringify(label));
}

/** `duelbook agreement`: returns the exit code (0 ok, 1 invalid input, 2 usage error). */
export async function agreementCommand(argv: string[], io: AgreementIO): Promise<number> {
  let input: string;
  let goldFile: string | undefined;
  let rounds: number;
  let seed: number | string;
  let level: number;
  let goldThreshold: number;
  let goldMin: number;
  let json: boolean;
  let skipInvalid: boolean;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        input: { type: 'string', short: 'i' },
        gold: { type: 'string' },
        'gold-threshold': { type: 'string' },
        'gold-min': { type: 'string' },
        bootstrap: { type: 'string' },
        seed: { type: 'string' },
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
    goldFile = textFlag('gold', values.gold);
    goldThreshold = numberFlag('gold-threshold', values['gold-threshold'], 0.7, { min: 0, max: 1 });
    goldMin = intFlag('gold-min', values['gold-min'], 3, { min: 1, max: 1_000_000 });
    if (goldFile === undefined && (values['gold-threshold'] !== undefined || values['gold-min'] !== undefined)) {
      throw new UsageError('--gold-threshold and --gold-min need --gold');
    }
    rounds = intFlag('bootstrap', values.bootstrap, 0, { min: 0, max: 100_000 });
    seed = seedFlag(values.seed);
    level = numberFlag('level', values.level, 0.95, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    json = values.json ?? false;
    skipInvalid = values['skip-invalid'] ?? false;
  } catch (e) {
    io.stderr(`duelbook agreement: ${terminalSafe((e as Error).message)}\n`);
    return 2;
  }

  const read = async (file: string): Promise<string | null> => {
    try {
      return await io.readFile(file);
    } catch (e) {
      io.stderr(`duelbook agreement: cannot read ${terminalSafe(file)}: ${terminalSafe((e as Error).message)}\n`);
      return null;
    }
  };
  const text = await read(input);
  if (text === null) return 1;
  let gold: Map<ItemId, AgreementLabel> | undefined;
  if (goldFile !== undefined) {
    const goldText = await read(goldFile);
    if (goldText === null) return 1;
    const parsedGold = parseGoldJsonl(goldText);
    if (parsedGold.errors.length > 0) {
      listErrors(io, `${terminalSafe(goldFile)}: `, parsedGold.errors);
      io.stderr(`duelbook agreement: ${parsedGold.errors.length} invalid line${parsedGold.errors.length === 1 ? '' : 's'} in --gold ${terminalSafe(goldFile)}\n`);
      return 1;
    }
    gold = parsedGold.gold;
  }
  const parsed = parseAnnotationJsonl(text);
  listErrors(io, '', parsed.errors);
  const skipped = parsed.errors.length;
  if (skipped > 0 && !skipInvalid) {
    io.stderr(`duelbook agreement: ${skipped} invalid line${skipped === 1 ? '' : 's'} (use --skip-invalid to use the rest)\n`);
    return 1;
  }
  if (parsed.annotations.length === 0) {
    io.stderr(`duelbook agreement: no labels in ${terminalSafe(input)}\n`);
    return 1;
  }
  const report = agreementReport(parsed.annotations, {
    bootstrapRounds: rounds,
    seed,
    level,
    gold,
    goldOptions: { threshold: goldThreshold, minItems: goldMin },
  });
  if (json) io.stdout(terminalSafeJson(jsonOutput(report, { skipped, seed })) + '\n');
  else io.stdout(table(report, { skipped, seed }));
  return 0;
}

function jsonOutput(r: AgreementReport, run: { skipped: number; seed: number | string }) {
  const goldOf = new Map(r.gold?.annotators.map((g) => [g.annotator, g]));
  return {
    alpha: r.nominal.alpha,
    ...(r.nominal.reason ? { alphaReason: r.nominal.reason } : {}),
    metric: 'nominal',
    ci: r.nominalInterval?.ci ?? null,
    bootstrap: r.nominalInterval
      ? { rounds: r.nominalInterval.rounds, seed: run.seed, level: r.nominalInterval.level, method: r.nominalInterval.method, undefinedRounds: r.nominalInterval.undefinedRounds }
      : null,
    items: r.items,
    pairableItems: r.nominal.pairableItems,
    pairableValues: r.nominal.pairableValues,
    annotators: r.annotators,
    annotations: r.annotations,
    skipped: run.skipped,
    labelCount: r.labels.length,
    ...(r.labels.length <= LISTED_LABELS ? { labels: r.labels } : {}),
    labelKind: r.labelKind,
    ordinal: r.ordinal ? { alpha: r.ordinal.alpha, ...(r.ordinal.reason ? { reason: r.ordinal.reason } : {}), ...(r.ordinalScale && r.ordinalScale.length <= LISTED_LABELS ? { scale: r.ordinalScale } : {}) } : null,
    ...(r.ordinalReason ? { ordinalReason: r.ordinalReason } : {}),
    interval: r.interval ? { alpha: r.interval.alpha, ...(r.interval.reason ? { reason: r.interval.reason } : {}) } : null,
    // "pair" rather than "a"/"b": the pair labels are also called a and b.
    kappa: r.kappa.map((k) => ({ pair: [k.a, k.b], items: k.items, agreement: k.agreement, kappa: k.kappa, ...(k.reason ? { reason: k.reason } : {}) })),
    pairsWithoutSharedItems: r.pairsWithoutSharedItems,
    perAnnotator: r.consensus.map((c) => {
      const g = goldOf.get(c.annotator);
      return {
        annotator: c.annotator,
        labels: c.labels,
        consensusItems: c.compared,
        noConsensusItems: c.noConsensus,
        consensusAgreement: c.agreement,
        consensusAlpha: c.alpha,
        ...(c.alphaReason ? { consensusAlphaReason: c.alphaReason } : {}),
        ...(g ? { goldItems: g.goldItems, goldCorrect: g.correct, goldAccuracy: g.accuracy, flagged: g.flagged } : {}),
      };
    }),
    gold: r.gold
      ? {
          threshold: r.gold.threshold,
          minItems: r.gold.minItems,
          itemsUsed: r.gold.goldItemsUsed,
          itemsUnused: r.gold.goldItemsUnused,
          flagged: r.gold.annotators.filter((g) => g.flagged).map((g) => g.annotator),
        }
      : null,
  };
}

function table(r: AgreementReport, run: { skipped: number; seed: number | string }): string {
  const out: string[] = [];
  const iv = r.nominalInterval;
  const ci = iv?.ci ? `  ${Math.round(iv.level * 100)}% interval [${fixed(iv.ci[0])}, ${fixed(iv.ci[1])}] (item bootstrap, ${iv.rounds} rounds, seed ${terminalSafe(String(run.seed))})` : '';
  out.push(`Krippendorff's α, nominal: ${fixed(r.nominal.alpha)}${r.nominal.reason ? ` (${r.nominal.reason})` : ''}${ci}\n`);
  if (iv && !iv.ci) out.push(`  no bootstrap interval: fewer than 2 of ${iv.rounds} resamples had a defined α\n`);
  if (r.ordinal && r.ordinalScale) {
    const scale = r.ordinalScale.length <= LISTED_LABELS ? r.ordinalScale.map(shownLabel).join(' < ') : `${r.ordinalScale.length} numbers in order`;
    out.push(`Krippendorff's α, ordinal (${scale}${r.labelKind === 'pair' ? ', bothbad as tie' : ''}): ${fixed(r.ordinal.alpha)}${r.ordinal.reason ? ` (${r.ordinal.reason})` : ''}\n`);
  }
  if (r.interval) out.push(`Krippendorff's α, interval: ${fixed(r.interval.alpha)}${r.interval.reason ? ` (${r.interval.reason})` : ''}\n`);
  out.push(
    `${plural(r.items, 'item')} (${r.nominal.pairableItems} with labels from two or more annotators, ${plural(r.nominal.pairableValues, 'pairable label')}), ` +
      `${plural(r.annotators, 'annotator')}, ${plural(r.annotations, 'label')}${run.skipped > 0 ? `; ${run.skipped} invalid line${run.skipped === 1 ? '' : 's'} skipped` : ''}\n`,
  );

  const names = (list: string[]) => list.map(terminalSafe);
  if (r.kappa.length > 0) {
    const a = names(r.kappa.map((k) => k.a));
    const b = names(r.kappa.map((k) => k.b));
    const wa = Math.max(9, ...a.map((s) => s.length));
    const wb = Math.max(9, ...b.map((s) => s.length));
    out.push(`\nCohen's κ on the items both labelled\n${'annotator'.padEnd(wa)}  ${'annotator'.padEnd(wb)}  ${'items'.padStart(6)}  ${'agree'.padStart(6)}  ${'κ'.padStart(9)}\n`);
    r.kappa.forEach((k, i) => {
      out.push(`${a[i]!.padEnd(wa)}  ${b[i]!.padEnd(wb)}  ${String(k.items).padStart(6)}  ${k.agreement.toFixed(3).padStart(6)}  ${fixed(k.kappa).padStart(9)}${k.reason ? `  (${k.reason})` : ''}\n`);
    });
  }
  if (r.pairsWithoutSharedItems > 0) out.push(`${r.pairsWithoutSharedItems} pairs of annotators share no item\n`);

  const goldOf = new Map(r.gold?.annotators.map((g) => [g.annotator, g]));
  const who = names(r.consensus.map((c) => c.annotator));
  const w = Math.max(9, ...who.map((s) => s.length));
  out.push(
    `\nEach annotator against the majority of the others (leave-one-out)\n${'annotator'.padEnd(w)}  ${'labels'.padStart(6)}  ${'items'.padStart(6)}  ${'agree'.padStart(6)}  ${'α'.padStart(9)}` +
      `${r.gold ? `  ${'gold'.padStart(9)}  flag` : ''}\n`,
  );
  r.consensus.forEach((c, i) => {
    const g = goldOf.get(c.annotator);
    const goldCell = g ? `  ${(g.accuracy === null ? '–' : `${g.correct}/${g.goldItems}`).padStart(9)}  ${g.flagged ? 'below threshold' : ''}` : '';
    out.push(
      `${who[i]!.padEnd(w)}  ${String(c.labels).padStart(6)}  ${String(c.compared).padStart(6)}  ${(c.agreement === null ? '–' : c.agreement.toFixed(3)).padStart(6)}  ${fixed(c.alpha).padStart(9)}${goldCell}`.trimEnd() + '\n',
    );
  });
  if (r.gold) {
    out.push(
      `\ngold: ${r.gold.goldItemsUsed} items used, ${r.gold.goldItemsUnused} in the gold file labelled by no one; flagged below ${r.gold.threshold} accuracy ` +
        `after at least ${r.gold.minItems} gold items: ${r.gold.annotators.filter((g) => g.flagged).length}\n`,
    );
  }
  return out.join('');
}
