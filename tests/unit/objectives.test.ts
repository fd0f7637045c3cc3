import { describe, it, expect } from 'vitest';
import golden from '../golden/objectives.json';
import {
  PAIRED_LOSS_TYPES,
  type PairedBatch,
  type PairedLossType,
  RunningMoments,
  pairedObjective,
  dpoSigmoidLoss,
  ktoLoss,
  klMismatchIndices,
  plackettLuceLoss,
  lipoLambdaLoss,
  labelsFromRanking,
  logSigmoid,
  softplus,
  sigmoid,
} from '../../src/engine/objectives/index.ts';
import { Rng } from '../../src/engine/rng.ts';

/** Max relative error between analytic and central-difference gradients. */
function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-8);
}

function centralDiff(f: (x: Float64Array) => number, x: Float64Array, i: number, h = 1e-5): number {
  const xp = Float64Array.from(x);
  const xm = Float64Array.from(x);
  xp[i] = x[i]! + h;
  xm[i] = x[i]! - h;
  return (f(xp) - f(xm)) / (2 * h);
}

function singlePair(c: (typeof golden.paired)[number]): PairedBatch {
  return {
    policyChosenLogps: [c.policyChosen],
    policyRejectedLogps: [c.policyRejected],
    refChosenLogps: [c.refChosen],
    refRejectedLogps: [c.refRejected],
    chosenTokenCounts: [c.chosenTokens],
    rejectedTokenCounts: [c.rejectedTokens],
  };
}

describe('numerics', () => {
  it('log-sigmoid is finite and accurate far in both tails', () => {
    expect(logSigmoid(-800)).toBeCloseTo(-800, 10);
    expect(logSigmoid(800)).toBe(-0);
    expect(logSigmoid(40)).toBeCloseTo(-Math.exp(-40), 25);
    expect(softplus(0)).toBeCloseTo(Math.LN2, 15);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(800)).toBe(1);
  });
});

describe('paired objectives: golden values (TRL formulas)', () => {
  for (const c of golden.paired) {
    const expected = c.expected as Record<string, number>;
    for (const type of PAIRED_LOSS_TYPES) {
      it(`${c.name}: ${type}`, () => {
        const r = pairedObjective(type, singlePair(c), {
          beta: c.beta,
          labelSmoothing: c.labelSmoothing,
          bcoRunning: new RunningMoments(),
        });
        expect(expected[type], `golden for ${type}`).toBeTypeOf('number');
        expect(Math.abs(r.loss - expected[type]!)).toBeLessThanOrEqual(c.tolerance);
      });
    }
  }

  it('the brief’s own numbers are reproduced to 1e-6', () => {
    const brief1: Record<string, number> = {
      sigmoid: 0.598139, cdpo: 0.618139, robust: 0.573139, hinge: 0.8,
      bco_pair: 1.288793, nca_pair: 1.338793, apo_zero: 0.950042, apo_down: 0.975145,
    };
    const c1 = golden.paired[0]!;
    for (const [type, v] of Object.entries(brief1)) {
      const r = pairedObjective(type as PairedLossType, singlePair(c1), { beta: 0.1, labelSmoothing: 0.1 });
      expect(Math.abs(r.loss - v), type).toBeLessThanOrEqual(1e-6);
    }
    const c2 = golden.paired[1]!;
    const h2 = { beta: 0.5, labelSmoothing: 0.2 };
    expect(Math.abs(pairedObjective('sigmoid', singlePair(c2), h2).loss - 0.02975)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(pairedObjective('robust', singlePair(c2), h2).loss - -1.136916)).toBeLessThanOrEqual(1e-6);
  });

  it('sigmoid-family losses are ln 2 whenever the policy equals the reference', () => {
    const rng = new Rng('ln2');
    for (let t = 0; t < 20; t++) {
      const lpC = -50 * rng.next();
      const lpR = -50 * rng.next();
      const batch = { policyChosenLogps: [lpC], policyRejectedLogps: [lpR], refChosenLogps: [lpC], refRejectedLogps: [lpR] };
      const beta = 0.01 + rng.next();
      const eps = 0.4 * rng.next();
      for (const type of ['sigmoid', 'cdpo', 'robust'] as const) {
        expect(pairedObjective(type, batch, { beta, labelSmoothing: eps }).loss).toBeCloseTo(Math.LN2, 12);
      }
    }
  });

  it('robust loss goes negative and is not clamped', () => {
    const r = pairedObjective('robust', singlePair(golden.paired[1]!), { beta: 0.5, labelSmoothing: 0.2 });
    expect(r.loss).toBeLessThan(0);
  });
});

describe('paired objectives: metrics are TRL’s', () => {
  it('reports rewards, margins, accuracies and logps as DPOTrainer', () => {
    const batch: PairedBatch = {
      policyChosenLogps: [-10, -20, -5],
      policyRejectedLogps: [-12, -18, -9],
      refChosenLogps: [-11, -19, -6],
      refRejectedLogps: [-11, -19, -6],
    };
    const r = dpoSigmoidLoss(batch, 0.1);
    // β·ℓ_c = (0.1, -0.1, 0.1); β·ℓ_r = (-0.1, 0.1, -0.3)
    expect(r.metrics['rewards/chosen']).toBeCloseTo((0.1 - 0.1 + 0.1) / 3, 12);
    expect(r.metrics['rewards/rejected']).toBeCloseTo((-0.1 + 0.1 - 0.3) / 3, 12);
    expect(r.metrics['rewards/margins']).toBeCloseTo((0.2 - 0.2 + 0.4) / 3, 12);
    expect(r.metrics['rewards/accuracies']).toBeCloseTo(2 / 3, 12);
    expect(r.metrics['logps/chosen']).toBeCloseTo(-35 / 3, 12);
    expect(r.metrics['logps/rejected']).toBeCloseTo(-39 / 3, 12);
    expect(Object.keys(r.metrics).sort()).toEqual(
      ['logps/chosen', 'logps/rejected', 'rewards/accuracies', 'rewards/chosen', 'rewards/margins', 'rewards/rejected'],
    );
  });

  it('IPO metrics use per-token log-probs, like TRL', () => {
    const r = pairedObjective('ipo', singlePair(golden.paired[0]!), { beta: 0.1 });
    expect(r.metrics['logps/chosen']).toBeCloseTo(-10 / 5, 12);
    expect(r.metrics['rewards/chosen']).toBeCloseTo(0.1 * (-10 / 5 + 11 / 5), 12);
  });

  it('loss is the batch mean of the per-pair losses', () => {
    const c0 = golden.paired[0]!;
    const c1 = golden.paired[1]!;
    const batch: PairedBatch = {
      policyChosenLogps: [c0.policyChosen, c1.policyChosen],
      policyRejectedLogps: [c0.policyRejected, c1.policyRejected],
      refChosenLogps: [c0.refChosen, c1.refChosen],
      refRejectedLogps: [c0.refRejected, c1.refRejected],
    };
    const r = pairedObjective('hinge', batch, { beta: 0.1 });
    const a = pairedObjective('hinge', singlePair(c0), { beta: 0.1 }).loss;
    const b = pairedObjective('hinge', singlePair({ ...c1, chosenTokens: 1, rejectedTokens: 1 }), { beta: 0.1 }).loss;
    expect(r.loss).toBeCloseTo((a + b) / 2, 14);
  });

  it('rejects malformed input instead of guessing', () => {
    const c = golden.paired[0]!;
    expect(() => pairedObjective('ipo', { ...singlePair(c), chosenTokenCounts: undefined }, { beta: 0.1 })).toThrow(/token/i);
    expect(() => pairedObjective('robust', singlePair(c), { beta: 0.1, labelSmoothing: 0.5 })).toThrow(/0.5/);
    expect(() => pairedObjective('sigmoid', { ...singlePair(c), refChosenLogps: [] }, { beta: 0.1 })).toThrow(/length/);
    expect(() => pairedObjective('sigmoid', singlePair(c), { beta: 0 })).toThrow(/beta/);
  });
});

/**
 * Two pairs for hand-computed values: pair 1 has ℓ_c = 1, ℓ_r = −1 (at β 0.5 DPO's logit is 1)
 * and 5 chosen tokens with log-prob −10; pair 2 has ℓ_c = ℓ_r = 0 and 3 chosen tokens with
 * log-prob −6.
 */
const TWO_PAIRS: PairedBatch = {
  policyChosenLogps: [-10, -6],
  policyRejectedLogps: [-12, -7],
  refChosenLogps: [-11, -6],
  refRejectedLogps: [-11, -7],
  chosenTokenCounts: [5, 3],
  rejectedTokenCounts: [4, 4],
};

describe('RPO: TRL rpo_alpha (chosen NLL per token added to the paired loss)', () => {
  // TRL DPOTrainer: losses = losses + rpo_alpha * nll_loss, nll_loss = cross-entropy over every
  // chosen token of the batch (one mean). On TWO_PAIRS: DPO's −log σ(1) = 0.31326168751822286
  // and ln 2, and nll = 16 / 8 = 2.
  const batch = TWO_PAIRS;

  it('adds α × the batch’s chosen token-mean NLL to every pair, as TRL', () => {
    const r = pairedObjective('sigmoid', batch, { beta: 0.5, rpoAlpha: 1 });
    expect(r.losses[0]).toBeCloseTo(0.31326168751822286 + 2, 12);
    expect(r.losses[1]).toBeCloseTo(Math.LN2 + 2, 12);
    expect(r.loss).toBeCloseTo((0.31326168751822286 + Math.LN2) / 2 + 2, 12);
    // ∂/∂ log πθ(y_c): DPO's −β σ(−z) / B plus −α / (all chosen tokens), for every pair alike.
    expect(r.dPolicyChosen[0]).toBeCloseTo((-0.5 * sigmoid(-1)) / 2 - 1 / 8, 12);
    expect(r.dPolicyChosen[1]).toBeCloseTo((-0.5 * 0.5) / 2 - 1 / 8, 12);
    // The rejected side and TRL's logged rewards are DPO's.
    const plain = pairedObjective('sigmoid', batch, { beta: 0.5 });
    expect(Array.from(r.dPolicyRejected)).toEqual(Array.from(plain.dPolicyRejected));
    expect(r.metrics).toEqual(plain.metrics);
  });

  it('α 0 is plain DPO to the bit', () => {
    const a = pairedObjective('sigmoid', batch, { beta: 0.5, rpoAlpha: 0 });
    const b = pairedObjective('sigmoid', batch, { beta: 0.5 });
    expect(Array.from(a.losses)).toEqual(Array.from(b.losses));
    expect(Array.from(a.dPolicyChosen)).toEqual(Array.from(b.dPolicyChosen));
  });

  it('uses the raw log-probs with IPO, whose loss averages them per token', () => {
    const ipo = pairedObjective('ipo', batch, { beta: 0.5, rpoAlpha: 0.5 });
    const plain = pairedObjective('ipo', batch, { beta: 0.5 });
    expect(ipo.loss - plain.loss).toBeCloseTo(0.5 * 2, 12);
  });

  it('gradients by central finite differences', () => {
    const hyper = { beta: 0.3, rpoAlpha: 0.7 };
    const r = pairedObjective('sigmoid', batch, hyper);
    const pc = Float64Array.from(batch.policyChosenLogps);
    const f = (x: Float64Array) => pairedObjective('sigmoid', { ...batch, policyChosenLogps: x }, hyper).loss;
    for (let i = 0; i < 2; i++) expect(relErr(r.dPolicyChosen[i]!, centralDiff(f, pc, i))).toBeLessThan(1e-6);
  });

  it('refuses a negative α and a batch without chosen token counts', () => {
    expect(() => pairedObjective('sigmoid', batch, { beta: 0.5, rpoAlpha: -1 })).toThrow(/rpoAlpha/);
    const { chosenTokenCounts: _c, rejectedTokenCounts: _r, ...noCounts } = batch;
    expect(() => pairedObjective('sigmoid', noCounts, { beta: 0.5, rpoAlpha: 1 })).toThrow(/chosenTokenCounts/);
  });
});

describe('R-DPO: length-regularized DPO (Park et al. 2024, arXiv 2403.19159)', () => {
  // L = −log σ(β(ℓ_c − ℓ_r) + α(|y_c| − |y_r|)), lengths in completion tokens. On TWO_PAIRS with
  // pair 2's rejected answer 7 tokens long: pair 1 (logit 1, lengths 5 and 4) gets +0.25 at
  // α 0.25, loss −log σ(1.25) = 0.25192908; pair 2 (logit 0, lengths 3 and 7) gets −1, loss
  // −log σ(−1) = 1.31326168751822286.
  const batch: PairedBatch = { ...TWO_PAIRS, rejectedTokenCounts: [4, 7] };

  it('adds α × the length difference to the logit: a shorter chosen answer is pushed harder', () => {
    const r = pairedObjective('sigmoid', batch, { beta: 0.5, lengthAlpha: 0.25 });
    expect(r.losses[0]).toBeCloseTo(-logSigmoid(1.25), 12);
    expect(r.losses[0]).toBeCloseTo(0.25192908, 7);
    expect(r.losses[1]).toBeCloseTo(1.31326168751822286, 12);
    // ∂/∂ log πθ(y_c) = −β σ(−z) / B with the shifted logit z.
    expect(r.dPolicyChosen[0]).toBeCloseTo((-0.5 * sigmoid(-1.25)) / 2, 12);
    expect(r.dPolicyChosen[1]).toBeCloseTo((-0.5 * sigmoid(1)) / 2, 12);
    expect(Math.abs(r.dPolicyChosen[1]!)).toBeGreaterThan(Math.abs(pairedObjective('sigmoid', batch, { beta: 0.5 }).dPolicyChosen[1]!));
    // TRL's logged rewards stay β·ℓ.
    expect(r.metrics).toEqual(pairedObjective('sigmoid', batch, { beta: 0.5 }).metrics);
  });

  it('α 0 is plain DPO to the bit, and the gradients match central finite differences', () => {
    const a = pairedObjective('sigmoid', batch, { beta: 0.5, lengthAlpha: 0 });
    const b = pairedObjective('sigmoid', batch, { beta: 0.5 });
    expect(Array.from(a.losses)).toEqual(Array.from(b.losses));
    expect(Array.from(a.dPolicyRejected)).toEqual(Array.from(b.dPolicyRejected));
    const hyper = { beta: 0.3, lengthAlpha: 0.4 };
    const r = pairedObjective('sigmoid', batch, hyper);
    const pc = Float64Array.from(batch.policyChosenLogps);
    const pr = Float64Array.from(batch.policyRejectedLogps);
    const fc = (x: Float64Array) => pairedObjective('sigmoid', { ...batch, policyChosenLogps: x }, hyper).loss;
    const fr = (x: Float64Array) => pairedObjective('sigmoid', { ...batch, policyRejectedLogps: x }, hyper).loss;
    for (let i = 0; i < 2; i++) {
      expect(relErr(r.dPolicyChosen[i]!, centralDiff(fc, pc, i))).toBeLessThan(1e-6);
      expect(relErr(r.dPolicyRejected[i]!, centralDiff(fr, pr, i))).toBeLessThan(1e-6);
    }
  });

  it('refuses a negative α, another loss than sigmoid, and a batch without token counts', () => {
    expect(() => pairedObjective('sigmoid', batch, { beta: 0.5, lengthAlpha: -1 })).toThrow(/lengthAlpha/);
    expect(() => pairedObjective('ipo', batch, { beta: 0.5, lengthAlpha: 0.1 })).toThrow(/sigmoid loss only/);
    const { chosenTokenCounts: _c, rejectedTokenCounts: _r, ...noCounts } = batch;
    expect(() => pairedObjective('sigmoid', noCounts, { beta: 0.5, lengthAlpha: 0.1 })).toThrow(/lengthAlpha need/);
  });
});

describe('bco_pair running mean (TRL RunningMoments)', () => {
  it('δ is the running average of per-step batch mean rewards, merged before the loss', () => {
    const running = new RunningMoments();
    const step = (pc: number, pr: number) =>
      pairedObjective('bco_pair', { policyChosenLogps: [pc], policyRejectedLogps: [pr], refChosenLogps: [0], refRejectedLogps: [0] }, {
        beta: 1,
        bcoRunning: running,
      });
    const r1 = step(2, 0); // batch mean reward 1
    expect(r1.bcoDelta).toBeCloseTo(1, 12);
    const r2 = step(4, 2); // batch mean 3 → running mean (1 + 3)/2
    expect(r2.bcoDelta).toBeCloseTo(2, 12);
    // The loss uses that δ: −logσ(4 − 2) − logσ(−(2 − 2)).
    expect(r2.loss).toBeCloseTo(-logSigmoid(2) - logSigmoid(0), 12);
    // State round-trips for session save/replay.
    const copy = RunningMoments.fromState(running.toState());
    expect(copy.mean).toBe(running.mean);
  });

  it('a fixed δ can be given, and omitted δ means this batch’s mean', () => {
    const b: PairedBatch = { policyChosenLogps: [1, 3], policyRejectedLogps: [0, -2], refChosenLogps: [0, 0], refRejectedLogps: [0, 0] };
    expect(pairedObjective('bco_pair', b, { beta: 1, bcoRunning: 0.25 }).bcoDelta).toBe(0.25);
    expect(pairedObjective('bco_pair', b, { beta: 1 }).bcoDelta).toBeCloseTo((1 + 3 + 0 - 2) / 4, 12);
  });
});

describe('paired objectives: gradients by central finite differences', () => {
  const rng = new Rng('fd-paired');
  const n = 4;
  const batch = {
    policyChosenLogps: Array.from({ length: n }, () => -5 - 20 * rng.next()),
    policyRejectedLogps: Array.from({ length: n }, () => -5 - 20 * rng.next()),
    refChosenLogps: Array.from({ length: n }, () => -5 - 20 * rng.next()),
    refRejectedLogps: Array.from({ length: n }, () => -5 - 20 * rng.next()),
    chosenTokenCounts: Array.from({ length: n }, () => 1 + rng.int(12)),
    rejectedTokenCounts: Array.from({ length: n }, () => 1 + rng.int(12)),
  };
  const hyper = { beta: 0.3, labelSmoothing: 0.15, bcoRunning: -0.2 };
  const cases: (PairedLossType | { type: PairedLossType; weight: number }[])[] = [
    ...PAIRED_LOSS_TYPES,
    // MPO-style weighted combination (TRL loss_type list + loss_weights).
    [
      { type: 'sigmoid', weight: 0.8 },
      { type: 'bco_pair', weight: 0.2 },
      { type: 'sft', weight: 0.05 },
    ],
  ];
  for (const lossType of cases) {
    const name = typeof lossType === 'string' ? lossType : lossType.map((p) => p.type).join('+');
    it(name, () => {
      const r = pairedObjective(lossType, batch, hyper);
      const pc = Float64Array.from(batch.policyChosenLogps);
      const pr = Float64Array.from(batch.policyRejectedLogps);
      const fC = (x: Float64Array) => pairedObjective(lossType, { ...batch, policyChosenLogps: x }, hyper).loss;
      const fR = (x: Float64Array) => pairedObjective(lossType, { ...batch, policyRejectedLogps: x }, hyper).loss;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        worst = Math.max(worst, relErr(r.dPolicyChosen[i]!, centralDiff(fC, pc, i)));
        worst = Math.max(worst, relErr(r.dPolicyRejected[i]!, centralDiff(fR, pr, i)));
      }
      expect(worst).toBeLessThanOrEqual(1e-5);
      // Not vacuous: at least one gradient entry is non-zero.
      expect(Math.max(...r.dPolicyChosen.map(Math.abs), ...r.dPolicyRejected.map(Math.abs))).toBeGreaterThan(1e-4);
    });
  }

  it('hinge gradient is zero once the margin exceeds 1/β', () => {
    const r = pairedObjective('hinge', { policyChosenLogps: [0], policyRejectedLogps: [-20], refChosenLogps: [0], refRejectedLogps: [0] }, { beta: 0.1 });
    expect(r.loss).toBe(0);
    expect(r.dPolicyChosen[0]).toBe(0);
    expect(r.dPolicyRejected[0]).toBe(0);
  });
});

describe('KTO', () => {
  for (const c of golden.kto) {
    it(`golden: ${c.name}`, () => {
      const r = ktoLoss(
        {
          policyLogps: c.policyLogps,
          refLogps: c.refLogps,
          desirable: c.desirable,
          ...('policyKlLogps' in c ? { policyKlLogps: c.policyKlLogps, refKlLogps: c.refKlLogps } : {}),
        },
        { beta: c.beta, desirableWeight: c.desirableWeight, undesirableWeight: c.undesirableWeight },
      );
      expect(Math.abs(r.kl - c.expected.kl)).toBeLessThanOrEqual(c.tolerance);
      expect(Math.abs(r.loss - c.expected.loss)).toBeLessThanOrEqual(c.tolerance);
    });
  }

  it('metrics follow KTOTrainer, with NaN means for an empty group and nan_to_num margins', () => {
    const r = ktoLoss({ policyLogps: [-10, -12], refLogps: [-11, -11], desirable: [true, true] }, { beta: 0.1, klEstimate: 0 });
    expect(r.metrics['rewards/chosen']).toBeCloseTo(0, 12);
    expect(Number.isNaN(r.metrics['rewards/rejected'])).toBe(true);
    expect(r.metrics['rewards/margins']).toBeCloseTo(0, 12);
    expect(r.metrics['logps/chosen']).toBeCloseTo(-11, 12);
    expect(r.metrics.kl).toBe(0);
  });

  it('gradients by central finite differences (z_ref detached)', () => {
    const rng = new Rng('fd-kto');
    const n = 6;
    const pol = Float64Array.from({ length: n }, () => -5 - 10 * rng.next());
    const ref = Array.from({ length: n }, () => -5 - 10 * rng.next());
    const desirable = [true, false, true, true, false, false];
    const klP = Array.from({ length: n }, () => -5 - 10 * rng.next());
    const klR = klP.map((x) => x - 0.5 - rng.next()); // positive KL so the clamp is inactive
    const hyper = { beta: 0.4, desirableWeight: 1.3, undesirableWeight: 0.7 };
    const f = (x: Float64Array) => ktoLoss({ policyLogps: x, refLogps: ref, desirable, policyKlLogps: klP, refKlLogps: klR }, hyper).loss;
    const r = ktoLoss({ policyLogps: pol, refLogps: ref, desirable, policyKlLogps: klP, refKlLogps: klR }, hyper);
    expect(r.kl).toBeGreaterThan(0);
    for (let i = 0; i < n; i++) expect(relErr(r.dPolicy[i]!, centralDiff(f, pol, i))).toBeLessThanOrEqual(1e-5);
  });

  it('the batch KL estimate is detached: its gradient is not propagated', () => {
    // With klEstimate 'batch', z_ref depends on policyLogps; TRL detaches it, so the analytic
    // gradient must equal the finite difference taken with z_ref frozen at its value.
    const pol = Float64Array.from([-3, -9, -4]);
    const ref = [-5, -10, -6];
    const desirable = [true, false, true];
    const r = ktoLoss({ policyLogps: pol, refLogps: ref, desirable }, { beta: 0.5, klEstimate: 'batch' });
    const frozen = (x: Float64Array) => ktoLoss({ policyLogps: x, refLogps: ref, desirable }, { beta: 0.5, klEstimate: r.kl }).loss;
    expect(r.kl).toBeCloseTo((2 + 1 + 2) / 3, 12);
    for (let i = 0; i < 3; i++) expect(relErr(r.dPolicy[i]!, centralDiff(frozen, pol, i))).toBeLessThanOrEqual(1e-5);
  });

  it('mismatch indices roll by one', () => {
    expect(Array.from(klMismatchIndices(4))).toEqual([3, 0, 1, 2]);
  });
});

describe('listwise objectives', () => {
  for (const c of golden.listwise) {
    it(`golden: ${c.name}`, () => {
      const labels = c.ranking ? labelsFromRanking(c.ranking) : c.labels!;
      const ex = [{ policyLogps: c.policyLogps, refLogps: c.refLogps, labels }];
      const r = c.loss === 'plackett_luce' ? plackettLuceLoss(ex, { beta: c.beta }) : lipoLambdaLoss(ex, { beta: c.beta });
      expect(Math.abs(r.loss - c.expected.loss)).toBeLessThanOrEqual(c.tolerance);
    });
  }

  it('Plackett–Luce with N = 2 is the DPO sigmoid loss', () => {
    const pl = plackettLuceLoss([{ policyLogps: [-10, -12], refLogps: [-11, -11], labels: [1, 0] }], { beta: 0.1 });
    const dpo = dpoSigmoidLoss({ policyChosenLogps: [-10], policyRejectedLogps: [-12], refChosenLogps: [-11], refRejectedLogps: [-11] }, 0.1);
    expect(pl.loss).toBeCloseTo(dpo.loss, 12);
    expect(pl.dPolicy[0]![0]).toBeCloseTo(dpo.dPolicyChosen[0]!, 12);
    expect(pl.dPolicy[0]![1]).toBeCloseTo(dpo.dPolicyRejected[0]!, 12);
  });

  for (const which of ['plackett_luce', 'lipo_lambda'] as const) {
    it(`${which}: gradients by central finite differences`, () => {
      const rng = new Rng(`fd-${which}`);
      const lists = [4, 5].map((n) => ({
        policyLogps: Float64Array.from({ length: n }, () => -5 - 10 * rng.next()),
        refLogps: Array.from({ length: n }, () => -5 - 10 * rng.next()),
        labels: Array.from({ length: n }, () => rng.int(4)),
      }));
      const fn = which === 'plackett_luce' ? plackettLuceLoss : lipoLambdaLoss;
      const hyper = { beta: 0.7 };
      const r = fn(lists, hyper);
      lists.forEach((ex, b) => {
        const f = (x: Float64Array) => fn(lists.map((e, k) => (k === b ? { ...e, policyLogps: x } : e)), hyper).loss;
        for (let i = 0; i < ex.policyLogps.length; i++) {
          expect(relErr(r.dPolicy[b]![i]!, centralDiff(f, ex.policyLogps, i))).toBeLessThanOrEqual(1e-5);
        }
      });
      expect(r.loss).toBeGreaterThan(0);
    });
  }

  it('labelsFromRanking rejects a non-permutation', () => {
    expect(() => labelsFromRanking([0, 0, 1])).toThrow(/permutation/);
    expect(Array.from(labelsFromRanking([2, 0, 1]))).toEqual([1, 0, 2]);
  });
});
