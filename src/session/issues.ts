/**
 * Turns valibot issues into messages a person can act on: which field, and what is wrong with
 * it, e.g. `cells[2].config.beta: expected a number, got a string`.
 */
import type * as v from 'valibot';

/** What a single issue says, before it is phrased for a particular context. */
type IssueGist =
  | { kind: 'missing' }
  | { kind: 'type'; expected: string; got: string }
  | { kind: 'rule'; text: string };

/** `cells[2].config.beta` from valibot's path items. */
export function formatIssuePath(path: readonly { key: unknown }[] | undefined): string {
  let out = '';
  for (const item of path ?? []) {
    const key = item.key;
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** "a string", "an object", "null", … for the value actually found. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isNaN(value) ? 'NaN' : 'a number';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return 'an object';
    case 'undefined':
      return 'nothing';
    default:
      return `a ${typeof value}`;
  }
}

const TYPE_NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  loose_object: 'an object',
  strict_object: 'an object',
  record: 'an object',
  array: 'a list',
  tuple: 'a list',
  null: 'null',
};

/** `("a" | "b")` → `one of "a", "b"`; a single literal stays as it is. */
function expectedOptions(expected: string | null): string {
  if (expected === null) return 'a different value';
  const inner = expected.startsWith('(') && expected.endsWith(')') ? expected.slice(1, -1) : expected;
  const options = inner.split(' | ');
  return options.length > 1 ? `one of ${options.join(', ')}` : options[0]!;
}

function gistOf(issue: v.BaseIssue<unknown>): IssueGist {
  if (issue.kind === 'schema') {
    // A key the object requires but the input lacks: valibot reports it against the key.
    if (issue.input === undefined) return { kind: 'missing' };
    const noun = TYPE_NOUNS[issue.type];
    if (noun !== undefined) return { kind: 'type', expected: noun, got: describeValue(issue.input) };
    if (issue.type === 'literal' || issue.type === 'picklist' || issue.type === 'variant' || issue.type === 'union') {
      const got = typeof issue.input === 'string' ? JSON.stringify(issue.input) : describeValue(issue.input);
      return { kind: 'type', expected: expectedOptions(issue.expected), got };
    }
  }
  // Our schemas give every validation action a message phrased to follow the path.
  return { kind: 'rule', text: issue.message };
}

/** `path: what is wrong` for session documents. */
export function formatSessionIssue(issue: v.BaseIssue<unknown>, pathPrefix = ''): string {
  const path = joinPath(pathPrefix, formatIssuePath(issue.path));
  const gist = gistOf(issue);
  const what =
    gist.kind === 'missing'
      ? 'is required'
      : gist.kind === 'type'
        ? `expected ${gist.expected}, got ${gist.got}`
        : gist.text;
  return path === '' ? what : `${path}: ${what}`;
}

/** `"chosen" must be a string` for dataset rows (the line number is added by the caller). */
export function formatRowIssue(issue: v.BaseIssue<unknown>): string {
  const path = formatIssuePath(issue.path);
  const subject = path === '' ? 'the row' : JSON.stringify(path);
  const gist = gistOf(issue);
  if (gist.kind === 'missing') return `${subject} is required`;
  if (gist.kind === 'type') return `${subject} must be ${gist.expected}, not ${gist.got}`;
  return `${subject} ${gist.text}`;
}

/** The first issue's message, plus how many more there were. */
export function summariseIssues(
  issues: readonly v.BaseIssue<unknown>[],
  format: (issue: v.BaseIssue<unknown>) => string,
): string {
  const first = format(issues[0]!);
  const more = issues.length - 1;
  return more === 0 ? first : `${first} (and ${more} more problem${more === 1 ? '' : 's'})`;
}

function joinPath(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '') return prefix;
  return path.startsWith('[') ? prefix + path : `${prefix}.${path}`;
}
