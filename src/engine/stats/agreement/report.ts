/**
 * Everything `duelbook agreement` reports, from parsed annotations: nominal α (with an optional
 * item bootstrap), ordinal α when the labels are ordered (the pair labels or numbers), interval
 * α for numbers, Cohen's κ for each pair, each annotator against the leave-one-out consensus,
 * and gold accuracy.
 */
import type { RngSeed } from '../../rng.ts';
import { alphaBootstrap, krippendorffAlpha, numericScheme, ordinalScheme, type AlphaInterval, type AlphaResult, type CategoryScheme } from './alpha.ts';
import { goldAccuracy, leaveOneOutConsensus, type AnnotatorConsensus, type GoldOptions, type GoldReport } from './consensus.ts';
import { pairwiseKappa, type PairKappa } from './kappa.ts';
import { buildReliabilityData, type AgreementLabel, type Annotation, type ItemId, type ReliabilityData } from './reliability_data.ts';

/**
 * The Duelbook pair labels (`VoteOutcome` in src/engine/api.ts) as an ordered scale, B preferred
 * at the low end and A at the high end. "bothbad" counts as "tie" there, as the ratings fold it
 * (`foldPairs` in src/engine/ratings/counts.ts): neither answer is preferred.
 */
export const PAIR_LABEL_SCALE: readonly AgreementLabel[] = ['b', 'tie', 'a'];
export const PAIR_LABEL_ALIASES: ReadonlyMap<AgreementLabel, AgreementLabel> = new Map([['bothbad', 'tie']]);
const PAIR_LABELS: ReadonlySet<AgreementLabel> = new Set(['a', 'b', 'tie', 'bothbad']);

export type LabelKind = 'pair' | 'numeric' | 'other';

export function labelKind(labels: readonly AgreementLabel[]): LabelKind {
  if (labels.length > 0 && labels.every((l) => typeof l === 'number')) return 'numeric';
  if (labels.length > 0 && labels.every((l) => PAIR_LABELS.has(l))) return 'pair';
  return 'other';
}

export interface AgreementOptions {
  bootstrapRounds?: number;
  seed?: RngSeed;
  level?: number;
  gold?: ReadonlyMap<ItemId, AgreementLabel>;
  goldOptions?: GoldOptions;
}

export interface AgreementReport {
  items: number;
  annotators: number;
  annotations: number;
  labels: AgreementLabel[];
  labelKind: LabelKind;
  nominal: AlphaResult;
  nominalInterval: AlphaInterval | null;
  /** null (with `ordinalReason`) when the labels have no order. */
  ordinal: AlphaResult | null;
  ordinalScale: AgreementLabel[] | null;
  ordinalReason?: string;
  /** Numeric labels only. */
  interval: AlphaResult | null;
  kappa: PairKappa[];
  pairsWithoutSharedItems: number;
  consensus: AnnotatorConsensus[];
  gold: GoldReport | null;
}

export function agreementReport(annotations: readonly Annotation[], options: AgreementOptions = {}): AgreementReport {
  const data: ReliabilityData = buildReliabilityData(annotations);
  const kind = labelKind(data.labels);
  const nominal = krippendorffAlpha(data, 'nominal');
  const rounds = options.bootstrapRounds ?? 0;
  const nominalInterval = rounds > 0 ? alphaBootstrap(data, { rounds, seed: options.seed ?? 0, level: options.level }) : null;
  let ordinalScheme_: CategoryScheme | null = null;
  let ordinalScale: AgreementLabel[] | null = null;
  if (kind === 'pair') {
    ordinalScheme_ = ordinalScheme(data, PAIR_LABEL_SCALE, PAIR_LABEL_ALIASES);
    ordinalScale = [...PAIR_LABEL_SCALE];
  } else if (kind === 'numeric') {
    ordinalScheme_ = numericScheme(data);
    ordinalScale = [...ordinalScheme_.value!];
  }
  const { pairs, pairsWithoutSharedItems } = pairwiseKappa(data);
  const report: AgreementReport = {
    items: data.items.length,
    annotators: data.annotators.length,
    annotations: annotations.length,
    labels: data.labels,
    labelKind: kind,
    nominal,
    nominalInterval,
    ordinal: ordinalScheme_ ? krippendorffAlpha(data, 'ordinal', ordinalScheme_) : null,
    ordinalScale,
    interval: kind === 'numeric' ? krippendorffAlpha(data, 'interval', ordinalScheme_!) : null,
    kappa: pairs,
    pairsWithoutSharedItems,
    consensus: leaveOneOutConsensus(data),
    gold: options.gold ? goldAccuracy(data, options.gold, options.goldOptions) : null,
  };
  if (!ordinalScheme_) report.ordinalReason = 'labels are neither all numbers nor the pair labels a, b, tie, bothbad';
  return report;
}
