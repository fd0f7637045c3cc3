/**
 * The prompt list of a Prompts cell, resolved from its config: the shipped set (fetched from
 * the model directory), pasted text, or prompts imported from a file (copied into the config).
 */
import * as v from 'valibot';
import { SESSION_LIMITS, splitPastedPrompts, type PromptsConfig } from '../session/index';

export type PromptsStatus = 'idle' | 'loading' | 'ready' | 'error';

const ShippedPromptsSchema = v.object({ prompts: v.array(v.string()) });

/** The shipped prompt sets, by the name a config uses for them. */
export function shippedPromptsUrl(set: string): string | null {
  if (set !== 'default') return null;
  return new URL(`${import.meta.env.BASE_URL}models/default/prompts.json`, location.href).href;
}

export class PromptsState {
  prompts = $state.raw<string[]>([]);
  status = $state<PromptsStatus>('idle');
  error = $state<string | null>(null);

  #key: string | null = null;
  #pending: Promise<void> | null = null;

  /** Resolves the list for `config` unless it already has (re-running forces it). */
  ensure(config: PromptsConfig, force = false): Promise<void> {
    const key = JSON.stringify(config.source);
    if (!force && key === this.#key && this.#pending) return this.#pending;
    this.#key = key;
    this.#pending = this.#resolve(config, key);
    return this.#pending;
  }

  async #resolve(config: PromptsConfig, key: string): Promise<void> {
    const source = config.source;
    this.error = null;
    if (source.kind === 'pasted') return this.#set(key, splitPastedPrompts(source.text));
    if (source.kind === 'imported') return this.#set(key, source.prompts.map((p) => p.text));
    const url = shippedPromptsUrl(source.set);
    if (url === null) return this.#fail(key, `There is no shipped prompt set named “${source.set}”.`);
    this.status = 'loading';
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`);
      const parsed = v.safeParse(ShippedPromptsSchema, await response.json());
      if (!parsed.success) throw new Error('prompts.json must be {"prompts": ["…", …]}');
      this.#set(key, parsed.output.prompts.map((p) => p.trim()).filter((p) => p !== ''));
    } catch (e) {
      this.#fail(key, `The shipped prompts could not be loaded: ${(e as Error).message}`);
    }
  }

  #set(key: string, prompts: string[]): void {
    if (key !== this.#key) return;
    this.prompts = prompts;
    this.status = 'ready';
    if (prompts.length === 0) {
      this.status = 'error';
      this.error = 'This prompt list is empty.';
    }
  }

  #fail(key: string, message: string): void {
    if (key !== this.#key) return;
    this.prompts = [];
    this.status = 'error';
    this.error = message;
  }
}

/**
 * Prompts from an imported file: JSON (`{"prompts": [...]}`, a list of strings, or a list of
 * `{"prompt": …}`), JSONL (one string or `{"prompt": …}` a line), or plain text (prompts
 * separated by blank lines, or one a line when there are no blank lines).
 */
export function parsePromptFile(name: string, text: string): { ok: true; prompts: string[] } | { ok: false; error: string } {
  const fromValue = (value: unknown): string | null =>
    typeof value === 'string' ? value : typeof value === 'object' && value !== null && typeof (value as { prompt?: unknown }).prompt === 'string' ? (value as { prompt: string }).prompt : null;
  let prompts: string[];
  const lower = name.toLowerCase();
  if (lower.endsWith('.jsonl')) {
    prompts = [];
    for (const [i, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        return { ok: false, error: `line ${i + 1}: not valid JSON` };
      }
      const prompt = fromValue(value);
      if (prompt === null) return { ok: false, error: `line ${i + 1}: expected a string or {"prompt": "…"}` };
      prompts.push(prompt);
    }
  } else if (lower.endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, error: 'not valid JSON' };
    }
    const list = Array.isArray(value) ? value : (value as { prompts?: unknown } | null)?.prompts;
    if (!Array.isArray(list)) return { ok: false, error: 'expected {"prompts": [...]} or a list' };
    prompts = [];
    for (const [i, item] of list.entries()) {
      const prompt = fromValue(item);
      if (prompt === null) return { ok: false, error: `item ${i}: expected a string or {"prompt": "…"}` };
      prompts.push(prompt);
    }
  } else {
    prompts = /\n[ \t]*\r?\n/.test(text.trim()) ? splitPastedPrompts(text) : text.split(/\r?\n/);
  }
  prompts = prompts.map((p) => p.trim()).filter((p) => p !== '');
  if (prompts.length === 0) return { ok: false, error: 'the file holds no prompts' };
  if (prompts.length > SESSION_LIMITS.maxImportedPrompts) {
    return { ok: false, error: `the file holds ${prompts.length} prompts; the limit is ${SESSION_LIMITS.maxImportedPrompts}` };
  }
  const long = prompts.findIndex((p) => p.length > SESSION_LIMITS.maxPromptChars);
  if (long !== -1) return { ok: false, error: `prompt ${long + 1} is longer than ${SESSION_LIMITS.maxPromptChars} characters` };
  return { ok: true, prompts };
}
