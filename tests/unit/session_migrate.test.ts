import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  effectiveEvents,
  migrate,
  parseSessionDocument,
  votesToPreferencePairs,
  type SessionDocument,
} from '../../src/session/index.ts';

const v1Text = readFileSync(new URL('../fixtures/sessions/v1_valid.json', import.meta.url), 'utf8');

function migratedV1(): SessionDocument {
  const result = parseSessionDocument(v1Text);
  if (!result.ok) throw new Error(result.error);
  return result.doc;
}

describe('migration from version 1', () => {
  it('moves the top-level title and creation time into metadata', () => {
    const { metadata } = migratedV1();
    expect(metadata).toEqual({
      title: 'First duels (written by Duelbook 0.0.9)',
      createdAt: '2024-06-01T12:00:00.000Z',
      updatedAt: '2024-06-01T12:00:00.000Z',
      appVersion: '0.0.9',
    });
  });

  it('renames cells[].type to kind and keeps ids, titles and order', () => {
    const doc = migratedV1();
    expect(doc.cells.map((c) => [c.id, c.kind, c.title])).toEqual([
      ['pol1', 'policy', 'Policy'],
      ['prm1', 'prompts', undefined],
      ['duel1', 'duel', 'Duel'],
      ['trn1', 'train', undefined],
      ['note1', 'note', undefined],
    ]);
  });

  it('maps the old train loss names to TRL objectives and adds epsilon', () => {
    const train = migratedV1().cells.find((c) => c.kind === 'train');
    expect(train?.kind === 'train' && train.config).toMatchObject({ objective: 'sigmoid', epsilon: 0, beta: 0.1, batchSize: 4 });
    const ipo = JSON.parse(v1Text);
    ipo.cells[3].config.loss = 'ipo';
    const result = parseSessionDocument(ipo);
    expect(result.ok && result.doc.cells[3]!.config).toMatchObject({ objective: 'ipo' });
  });

  it('gives old duels a human judge and two candidates', () => {
    const duel = migratedV1().cells.find((c) => c.kind === 'duel');
    expect(duel?.kind === 'duel' && duel.config).toMatchObject({ judge: { kind: 'human' }, candidatesPerPrompt: 2 });
  });

  it('numbers events in file order', () => {
    expect(migratedV1().events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('turns winner A/B/tie votes into pair votes with a left-to-right shown order', () => {
    const votes = migratedV1().events.filter((e) => e.type === 'vote');
    expect(votes.map((v) => v.kind === 'pair' && [v.a, v.b, v.outcome, v.shownOrder, v.judge])).toEqual([
      ['c1', 'c2', 'a', ['c1', 'c2'], 'human'],
      ['c3', 'c4', 'b', ['c3', 'c4'], 'human'],
      ['c3', 'c4', 'tie', ['c3', 'c4'], 'human'],
    ]);
    const pairs = votesToPreferencePairs(migratedV1().events);
    expect(pairs.map((p) => [p.chosen, p.rejected])).toEqual([
      ['Soft rain on the roof / the gutters hum a slow song / puddles hold the sky', 'Rain is water that falls.'],
      ['4, 6 and 8.', '2, 3 and 5.'],
    ]);
  });

  it('reconstructs which policy step wrote each candidate from the train steps before it', () => {
    const candidateEvents = migratedV1().events.filter((e) => e.type === 'candidates');
    expect(candidateEvents.map((e) => e.type === 'candidates' && e.candidates.map((c) => c.policySnapshot.step))).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it('turns {step, loss, beta, lr} train steps into hyper + metrics, filling the rest from the cell', () => {
    const step = migratedV1().events.find((e) => e.type === 'train_step');
    expect(step).toMatchObject({
      seq: 4,
      step: 1,
      hyper: { objective: 'sigmoid', beta: 0.1, epsilon: 0, lr: 0.00001, batchSize: 4 },
      metrics: { loss: 0.6931 },
    });
  });

  it('keeps every event effective (version 1 had no undo)', () => {
    const doc = migratedV1();
    expect(effectiveEvents(doc.events)).toHaveLength(doc.events.length);
  });

  it('reports version 1 problems with version 1 paths', () => {
    const doc = JSON.parse(v1Text);
    doc.cells[3].config.loss = 'kto';
    expect(parseSessionDocument(doc)).toEqual({
      ok: false,
      error: 'cells[3].config.loss: expected one of "dpo", "ipo", "hinge", got "kto" (in a version 1 session)',
    });
    const noType = JSON.parse(v1Text);
    delete noType.cells[0].type;
    expect(parseSessionDocument(noType)).toEqual({
      ok: false,
      error: 'cells[0].type: is required (in a version 1 session)',
    });
  });

  it('refuses a creation time past the latest date there is, instead of throwing on it (found by the parse property test)', () => {
    const doc = JSON.parse(v1Text);
    doc.createdAt = 8640000000000001; // 1 ms past ECMAScript's last time value
    const result = parseSessionDocument(doc);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toMatch(/^createdAt: must be at most 8\.64e15/);
    // The last date itself (year 275760) passes this check and is refused, not thrown on, after the upgrade.
    doc.createdAt = 8.64e15;
    expect(parseSessionDocument(doc)).toMatchObject({ ok: false, error: expect.stringMatching(/^after upgrading from version 1, metadata\.createdAt/) });
  });

  it('reports what is still wrong after the upgrade with version 2 paths', () => {
    const doc = JSON.parse(v1Text);
    doc.cells[2].config.sampling.topP = 2;
    expect(parseSessionDocument(doc)).toEqual({
      ok: false,
      error: 'after upgrading from version 1, cells[2].config.sampling.topP: must be at most 1',
    });
  });

  it('migrate() leaves current documents as they are and refuses unknown versions', () => {
    const current = { format: 'duelbook.session', version: 2, anything: true };
    const result = migrate(current);
    expect(result).toEqual({ ok: true, doc: current, fromVersion: 2 });
    expect(migrate({ format: 'duelbook.session', version: 0 })).toEqual({
      ok: false,
      error: 'version: 0 is not a Duelbook session version',
    });
    expect(migrate({ format: 'duelbook.session', version: 17 })).toEqual({
      ok: false,
      error: 'This session was written by a newer Duelbook (version 17); this version reads up to 2.',
    });
  });
});
