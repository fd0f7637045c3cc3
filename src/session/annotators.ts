/** Who cast a vote: one definition for the reducer's intents, agreement, overlap and exports. */

/** A person's votes carry this judge id (simulated annotators and judges carry their own). */
export const HUMAN_JUDGE = 'human';

/**
 * Who cast a vote, as agreement statistics, overlap and exports name annotators: a simulated
 * annotator's or judge's id; a person is `human`, or `human:NAME` in a shared room.
 */
export function annotatorOf(vote: { judge: string; voter?: string }): string {
  return vote.judge === HUMAN_JUDGE && vote.voter !== undefined && vote.voter !== '' ? `${HUMAN_JUDGE}:${vote.voter}` : vote.judge;
}
