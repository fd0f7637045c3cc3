/**
 * The names of every objective the engine trains with: the one list the trainer validates
 * against, the session schema's picklist is built from, and the cells' menus show (in this
 * order). Names are TRL's: `DPOConfig.loss_type` for the paired losses (plus `cdpo` for sigmoid
 * with label smoothing, which TRL spells as `sigmoid` + `label_smoothing`), `kto` for
 * KTOTrainer, and the listwise `plackett_luce` and `lipo_lambda`.
 *
 * Names only, no math: the session layer imports this file, and it must not pull the
 * objectives' code in with it.
 */

/** Paired (chosen ≻ rejected) losses, implemented in paired.ts. */
export const PAIRED_LOSS_TYPES = [
  'sigmoid',
  'cdpo',
  'robust',
  'hinge',
  'ipo',
  'bco_pair',
  'nca_pair',
  'sppo_hard',
  'apo_zero',
  'apo_down',
  'sft',
] as const;
export type PairedLossType = (typeof PAIRED_LOSS_TYPES)[number];

/** Unpaired thumbs up/down (kto.ts). */
export const UNPAIRED_OBJECTIVES = ['kto'] as const;
export type UnpairedObjective = (typeof UNPAIRED_OBJECTIVES)[number];

/** Listwise objectives over whole rankings (listwise.ts). */
export const LISTWISE_OBJECTIVES = ['plackett_luce', 'lipo_lambda'] as const;
export type ListwiseObjective = (typeof LISTWISE_OBJECTIVES)[number];

/** Every objective the trainer accepts: TRL's DPO loss types, KTO, and the listwise ones. */
export const TRAINER_OBJECTIVES = [...PAIRED_LOSS_TYPES, ...UNPAIRED_OBJECTIVES, ...LISTWISE_OBJECTIVES] as const;
export type TrainerObjective = (typeof TRAINER_OBJECTIVES)[number];

/**
 * The range of each optional weight a paired objective adds, checked alike by the trainer, the
 * session schema, the Train cell and `duelbook sim`: `rpoAlpha` (RPO's NLL weight, TRL's
 * `rpo_alpha`) and `lengthAlpha` (R-DPO's length term, in nats per token of length difference;
 * at 0.2 it already lengthened answers 3×, so 10 is far past any useful value).
 */
export const OBJECTIVE_WEIGHT_LIMITS = {
  rpoAlpha: { min: 0, max: 100 },
  lengthAlpha: { min: 0, max: 10 },
} as const;

/** What shape of example an objective trains on. */
export type ObjectiveFamily = 'paired' | 'unpaired' | 'listwise';

export function isPairedLossType(name: string): name is PairedLossType {
  return (PAIRED_LOSS_TYPES as readonly string[]).includes(name);
}

export function isTrainerObjective(name: string): name is TrainerObjective {
  return (TRAINER_OBJECTIVES as readonly string[]).includes(name);
}

export function objectiveFamily(objective: TrainerObjective): ObjectiveFamily {
  if ((UNPAIRED_OBJECTIVES as readonly string[]).includes(objective)) return 'unpaired';
  if ((LISTWISE_OBJECTIVES as readonly string[]).includes(objective)) return 'listwise';
  return 'paired';
}
