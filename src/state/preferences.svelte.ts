/**
 * The "what you seem to prefer" panel at run time: the principle rows of the last reduce, and
 * the person's statements about them. A statement is an intent like a vote: it is appended to
 * the log as a `principle` event (after the `settings` event the cells ask for) and reduced by
 * the engine through LearningSync, the one learning path; the rows change when the engine's
 * answer comes back. Nothing here moves a weight.
 */
import { appendEvents, type SessionDocument } from '../session/index';
import type { PrincipleVerdict } from '../engine/api';
import type { LearningSync } from './learning.svelte';
import { trainCellForDuel } from './links';
import { lastCritique, preferenceRows, type PreferenceRow, type ShownCritique } from './preference_rows';
import type { SessionState } from './session.svelte';

/** What the panel needs from the page (the app store; tests pass the page's parts). */
export interface PreferencesHost {
  readonly session: Pick<SessionState, 'doc' | 'apply'>;
  readonly learning: Pick<LearningSync, 'preferences' | 'explanations' | 'critiques' | 'settled' | 'sync' | 'settingsEvents' | 'syncError'>;
}

export class PreferencesState {
  /** A statement is being logged and reduced (the buttons wait). */
  busy = $state(false);
  error = $state<string | null>(null);

  constructor(private readonly host: PreferencesHost) {}

  /** The panel's rows, strongest first; empty before the engine reduced anything. */
  get rows(): PreferenceRow[] {
    return preferenceRows(this.host.learning.preferences);
  }

  /**
   * The explanations that carry the loop's call, strongest first: those with at least 5 % of
   * the posterior, at most four (the rest is "other explanations"); empty before the first vote.
   */
  get explanations(): { label: string; weight: number }[] {
    const all = this.host.learning.explanations ?? [];
    const shown = all.filter((e) => e.weight >= 0.05).slice(0, 4);
    const rest = all.reduce((sum, e) => sum + e.weight, 0) - shown.reduce((sum, e) => sum + e.weight, 0);
    return rest >= 0.005 && shown.length > 0 ? [...shown, { label: 'other explanations', weight: rest }] : shown;
  }

  /** The critique of this duel's last vote and what the engine understood it as (see `lastCritique`). */
  critiqueOf(duelCellId: string): ShownCritique | null {
    return lastCritique(this.host.session.doc.events, duelCellId, this.host.learning.critiques);
  }

  /**
   * Logs the person's word on a principle and lets the engine reduce it. `duelCellId` is the duel
   * the panel sits in: the event belongs to the Train cell that learns from it (whose reward
   * model the statement speaks to). Resolves false when nothing was logged. Never throws.
   */
  async state(duelCellId: string, principleId: string, verdict: PrincipleVerdict): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.error = null;
    try {
      // Not while a session opens: the statement goes after the log the engine is reducing.
      await this.host.learning.settled();
      const train = trainCellForDuel(this.host.session.doc, duelCellId);
      if (!train) {
        this.error = 'A statement goes to the reward model of the Train cell that learns from this duel, and there is none: add one.';
        return false;
      }
      const logged = this.host.session.apply((doc: SessionDocument) =>
        appendEvents(doc, [...this.host.learning.settingsEvents(doc), { type: 'principle', cellId: train.id, principleId, verdict }]),
      );
      if (!logged) return false;
      await this.host.learning.sync();
      this.error = this.host.learning.syncError;
      return true;
    } finally {
      this.busy = false;
    }
  }
}
