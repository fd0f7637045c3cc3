/**
 * One pull from a shared room into the open session, and what the engine must do about it:
 * peers' new entries are appended and learned from (`sync`); a cut (a peer's entry landed
 * before intents this replica had reduced) replaces the log's tail and rolls the engine back
 * to its last checkpoint before the cut (`rebase`). Shared by the page's RoomState and the
 * Node tests that play several replicas.
 */
import type { MirrorPull, RoomMirror, SessionDocument } from '../session/index';

/** What RoomSync needs of the page (SessionState and LearningSync satisfy it). */
export interface RoomSyncHost {
  session: { readonly doc: SessionDocument; apply(edit: (doc: SessionDocument) => SessionDocument): boolean };
  learning: { sync(): Promise<void>; rebase(dropAfterSeq: number): Promise<void> };
}

export type PullOutcome = Exclude<MirrorPull, { kind: 'error' }> | { kind: 'error'; error: string } | { kind: 'refused' };

/** Pulls once; the returned promise is the learning it started (resolved at once when none). */
export function pullRoom(mirror: RoomMirror, host: RoomSyncHost): { outcome: PullOutcome; learned: Promise<void> } {
  const result = mirror.pull(host.session.doc);
  if (result.kind === 'error' || result.kind === 'none') return { outcome: result, learned: Promise.resolve() };
  if (!host.session.apply(() => result.doc)) return { outcome: { kind: 'refused' }, learned: Promise.resolve() };
  if (result.kind === 'rebase') return { outcome: result, learned: host.learning.rebase(result.dropAfterSeq) };
  return { outcome: result, learned: result.appended > 0 ? host.learning.sync() : Promise.resolve() };
}
