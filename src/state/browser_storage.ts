/**
 * What the browser does with this origin's storage, beside the sessions themselves: the
 * persistent-storage request, the quota error, and localStorage that may be disabled.
 */

/** Whether the browser promised to keep this origin's storage (asked once, at the first save). */
export type Persistence = 'unknown' | 'persistent' | 'best-effort' | 'unsupported';

/** Set once `navigator.storage.persist()` has been asked in this browser. */
const PERSIST_ASKED_KEY = 'duelbook.persistenceAsked';

/** True for the error a browser throws when this origin's storage quota is used up. */
export function isQuotaError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || (error instanceof Error && /quota/i.test(error.message));
}

export function readLocal(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage disabled: behave as on a first visit
  }
}

export function writeLocal(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage disabled: what these keys hold is a convenience only.
  }
}

/**
 * Asks the browser, once ever in this browser, to keep this origin's storage. Some browsers
 * show a prompt, so a refusal is remembered rather than asked again in every tab.
 */
export async function requestPersistence(): Promise<Persistence> {
  const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
  if (typeof storage?.persist !== 'function') return 'unsupported';
  try {
    if (typeof storage.persisted === 'function' && (await storage.persisted())) return 'persistent';
    if (readLocal(PERSIST_ASKED_KEY) !== null) return 'best-effort';
    writeLocal(PERSIST_ASKED_KEY, new Date().toISOString());
    return (await storage.persist()) ? 'persistent' : 'best-effort';
  } catch {
    return 'best-effort';
  }
}
