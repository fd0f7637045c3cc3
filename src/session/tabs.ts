/**
 * Tabs of one origin tell each other what they wrote to session storage (BroadcastChannel), so
 * a tab holding the same session can reload it before its next edit instead of finding out at
 * save time. This is a courtesy, not the safety: saves are compare-and-set on the stored
 * revision (storage.ts), which holds even where the channel is missing or a message is lost.
 * Messages come from other tabs of the same origin, but are still checked before use.
 */

export type TabMessage =
  | { kind: 'saved'; id: string; revision: number; tab: string }
  | { kind: 'deleted'; id: string; tab: string }
  | { kind: 'listed'; tab: string };

export interface TabChannel {
  /** This tab's id (messages it sent come back to no one, but this names them in logs). */
  readonly tab: string;
  post(message: DistributiveOmit<TabMessage, 'tab'>): void;
  close(): void;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

const CHANNEL_NAME = 'duelbook.sessions';
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The message, if it is one this module sends; `null` for anything else. */
export function parseTabMessage(data: unknown): TabMessage | null {
  if (typeof data !== 'object' || data === null) return null;
  const m = data as Record<string, unknown>;
  if (typeof m.tab !== 'string' || !ID_PATTERN.test(m.tab)) return null;
  if (m.kind === 'listed') return { kind: 'listed', tab: m.tab };
  if (typeof m.id !== 'string' || !ID_PATTERN.test(m.id)) return null;
  if (m.kind === 'deleted') return { kind: 'deleted', id: m.id, tab: m.tab };
  if (m.kind === 'saved' && Number.isSafeInteger(m.revision) && (m.revision as number) > 0) {
    return { kind: 'saved', id: m.id, revision: m.revision as number, tab: m.tab };
  }
  return null;
}

/** Opens the channel; where BroadcastChannel is missing, posts go nowhere and nothing arrives. */
export function openTabChannel(tab: string, onMessage: (message: TabMessage) => void): TabChannel {
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL_NAME) : null;
  if (channel) {
    channel.onmessage = (event: MessageEvent) => {
      const message = parseTabMessage(event.data);
      if (message && message.tab !== tab) onMessage(message);
    };
  }
  return {
    tab,
    post(message) {
      channel?.postMessage({ ...message, tab });
    },
    close() {
      channel?.close();
    },
  };
}
