/**
 * Upgrading documents written by older Duelbooks. Each step takes a document of version N,
 * checks the parts of it the step reads (with that version's schema, so errors name paths in
 * the file the user actually has), and returns a plain object of version N + 1. Steps never
 * mutate their input. The result of the last step is validated by the current schema in
 * `parse.ts`.
 *
 * Version 1 (the first public format) differed from version 2 in that:
 * - metadata sat at the top level: `title`, `createdAt` as epoch milliseconds, optional
 *   `appVersion`; there was no `updatedAt`;
 * - cells had `type` where version 2 has `kind`;
 * - train cells named their objective `loss: "dpo" | "ipo" | "hinge"` and had no `epsilon`;
 * - duel cells had no `judge` (every duel was judged by a person) and no `candidatesPerPrompt`
 *   (always two);
 * - events had no `seq` (their order in the file was their order) and there was no undo;
 * - candidates did not record the policy snapshot that wrote them;
 * - votes were pairwise only: `{a, b, winner: "A" | "B" | "tie"}`, with `a` shown on the left;
 * - train steps recorded `{step, loss, beta, lr}` and took the rest from their cell.
 */
import * as v from 'valibot';
import { formatSessionIssue, summariseIssues } from './issues.ts';
import { CURRENT_SESSION_VERSION, SESSION_FORMAT } from './schema.ts';

export type MigrationResult =
  | { ok: true; doc: unknown; fromVersion: number }
  | { ok: false; error: string };

type StepResult = { ok: true; doc: unknown } | { ok: false; error: string };

/** `steps[n]` turns a version-n document into version n + 1. */
const steps: Readonly<Record<number, (doc: unknown) => StepResult>> = {
  1: migrateV1ToV2,
};

/** The oldest version `migrate` can read. */
export const OLDEST_SESSION_VERSION = 1;

export function newerVersionMessage(version: number): string {
  return `This session was written by a newer Duelbook (version ${version}); this version reads up to ${CURRENT_SESSION_VERSION}.`;
}

const EnvelopeSchema = v.object({
  format: v.literal(SESSION_FORMAT),
  version: v.pipe(v.number(), v.integer()),
});

/**
 * Brings a parsed JSON value of any known version up to the current one. The result is not
 * yet validated against the current schema (that is `parseSessionDocument`'s job).
 */
export function migrate(input: unknown): MigrationResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: 'This is not a Duelbook session: expected a JSON object.' };
  }
  const envelope = v.safeParse(EnvelopeSchema, input);
  if (!envelope.success) {
    const format = (input as { format?: unknown }).format;
    if (format !== SESSION_FORMAT) {
      return {
        ok: false,
        error:
          format === undefined
            ? `This is not a Duelbook session: format: is required (expected "${SESSION_FORMAT}").`
            : `This is not a Duelbook session: format: expected "${SESSION_FORMAT}", got ${JSON.stringify(format)}.`,
      };
    }
    return { ok: false, error: summariseIssues(envelope.issues, (issue) => formatSessionIssue(issue)) };
  }
  const fromVersion = envelope.output.version;
  if (fromVersion > CURRENT_SESSION_VERSION) return { ok: false, error: newerVersionMessage(fromVersion) };
  if (fromVersion < OLDEST_SESSION_VERSION) {
    return { ok: false, error: `version: ${fromVersion} is not a Duelbook session version` };
  }
  let doc: unknown = input;
  for (let version = fromVersion; version < CURRENT_SESSION_VERSION; version++) {
    const step = steps[version]!;
    const result = step(doc);
    if (!result.ok) return { ok: false, error: `${result.error} (in a version ${version} session)` };
    doc = result.doc;
  }
  return { ok: true, doc, fromVersion };
}

// ---------------------------------------------------------------------------------------------
// Version 1 → 2

const V1_TRAIN_LOSS_TO_OBJECTIVE = { dpo: 'sigmoid', ipo: 'ipo', hinge: 'hinge' } as const;

const V1_KINDS = ['policy', 'prompts', 'duel', 'train', 'arena', 'simulate', 'note'] as const;

const V1TrainConfigSchema = v.looseObject({
  loss: v.picklist(['dpo', 'ipo', 'hinge']),
  beta: v.number(),
  lr: v.number(),
  batchSize: v.number(),
});

const V1CellSchema = v.looseObject({
  id: v.string(),
  type: v.picklist(V1_KINDS),
  title: v.optional(v.string()),
  config: v.looseObject({}),
});

const v1Event = <T extends string, E extends v.ObjectEntries>(type: T, entries: E) =>
  v.looseObject({ t: v.number(), cellId: v.string(), type: v.literal(type), ...entries });

const V1EventSchema = v.variant('type', [
  v1Event('prompt', { promptId: v.string() }),
  v1Event('candidates', {
    promptId: v.string(),
    candidates: v.array(v.looseObject({ id: v.string() })),
  }),
  v1Event('vote', {
    promptId: v.string(),
    a: v.string(),
    b: v.string(),
    winner: v.picklist(['A', 'B', 'tie']),
    judge: v.optional(v.string()),
  }),
  v1Event('train_step', {
    step: v.number(),
    loss: v.nullable(v.number()),
    beta: v.number(),
    lr: v.number(),
  }),
  v1Event('snapshot', {}),
  v1Event('seed', {}),
]);

const V1DocumentSchema = v.looseObject({
  format: v.literal(SESSION_FORMAT),
  version: v.literal(1),
  title: v.string(),
  // 8.64e15 ms is the latest time a Date can hold (ECMAScript's time value range); beyond it toISOString throws.
  createdAt: v.pipe(v.number(), v.finite(), v.minValue(0, 'must be at least 0'), v.maxValue(8.64e15, 'must be at most 8.64e15 (the latest date there is)')),
  appVersion: v.optional(v.string()),
  cells: v.array(V1CellSchema),
  events: v.array(V1EventSchema),
});

type V1Document = v.InferOutput<typeof V1DocumentSchema>;
type V1Cell = V1Document['cells'][number];
type V1Event = V1Document['events'][number];

function migrateV1ToV2(input: unknown): StepResult {
  // Parsing copies every object it validates, so the steps below build on fresh objects.
  const parsed = v.safeParse(V1DocumentSchema, input);
  if (!parsed.success) {
    return { ok: false, error: summariseIssues(parsed.issues, (issue) => formatSessionIssue(issue)) };
  }
  const old = parsed.output;
  const cellsById = new Map(old.cells.map((cell) => [cell.id, cell] as const));
  for (const [i, cell] of old.cells.entries()) {
    if (cell.type === 'train') {
      const trainConfig = v.safeParse(V1TrainConfigSchema, cell.config);
      if (!trainConfig.success) {
        return {
          ok: false,
          error: formatSessionIssue(trainConfig.issues[0], `cells[${i}].config`),
        };
      }
    }
  }

  const createdAt = new Date(old.createdAt).toISOString();
  let trainStepsSoFar = 0;
  const events: unknown[] = [];
  for (const [seq, event] of old.events.entries()) {
    events.push(migrateV1Event(event, seq, trainStepsSoFar, cellsById));
    if (event.type === 'train_step') trainStepsSoFar = event.step;
  }
  return {
    ok: true,
    doc: {
      format: SESSION_FORMAT,
      version: 2,
      metadata: {
        title: old.title,
        createdAt,
        updatedAt: createdAt,
        appVersion: old.appVersion ?? 'unknown (version 1)',
      },
      cells: old.cells.map(migrateV1Cell),
      events,
    },
  };
}

function migrateV1Cell(cell: V1Cell): unknown {
  const { type, config, ...rest } = cell;
  return { ...rest, kind: type, config: migrateV1Config(type, config) };
}

function migrateV1Config(kind: V1Cell['type'], config: Record<string, unknown>): unknown {
  if (kind === 'train') {
    const { loss, ...rest } = config;
    return { ...rest, objective: V1_TRAIN_LOSS_TO_OBJECTIVE[loss as keyof typeof V1_TRAIN_LOSS_TO_OBJECTIVE], epsilon: 0 };
  }
  if (kind === 'duel') {
    return { candidatesPerPrompt: 2, ...config, judge: { kind: 'human' } };
  }
  return config;
}

function migrateV1Event(
  event: V1Event,
  seq: number,
  trainStepsSoFar: number,
  cellsById: ReadonlyMap<string, V1Cell>,
): unknown {
  switch (event.type) {
    case 'candidates':
      return {
        ...event,
        seq,
        // Version 1 did not record which weights wrote a candidate; the step count at that
        // point in the log is the best reconstruction.
        candidates: event.candidates.map((candidate) => ({ ...candidate, policySnapshot: { step: trainStepsSoFar } })),
      };
    case 'vote': {
      const { winner, judge, a, b, ...rest } = event;
      return {
        ...rest,
        seq,
        kind: 'pair',
        a,
        b,
        outcome: winner === 'A' ? 'a' : winner === 'B' ? 'b' : 'tie',
        shownOrder: [a, b],
        judge: judge ?? 'human',
      };
    }
    case 'train_step': {
      const { loss, beta, lr, step, ...rest } = event;
      const cell = cellsById.get(event.cellId);
      const cellConfig = cell?.type === 'train' ? cell.config : {};
      const loss1 = cellConfig['loss'] as keyof typeof V1_TRAIN_LOSS_TO_OBJECTIVE | undefined;
      return {
        ...rest,
        seq,
        step,
        hyper: {
          objective: loss1 === undefined ? 'sigmoid' : V1_TRAIN_LOSS_TO_OBJECTIVE[loss1],
          beta,
          epsilon: 0,
          lr,
          batchSize: typeof cellConfig['batchSize'] === 'number' ? cellConfig['batchSize'] : 1,
        },
        metrics: { loss },
      };
    }
    default:
      return { ...event, seq };
  }
}
