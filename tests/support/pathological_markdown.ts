/**
 * Notes that make Markdown parsers superlinear, each about 100 000 characters (the note
 * limit, SESSION_LIMITS.maxNoteChars). Sources: the issue-12 review (`*a ` repeated took 54 s
 * in the hand-written parser) and our own measurements of micromark, which is quadratic or
 * worse on one paragraph of many lines, `>` repeated, `[x](` repeated and backtick runs.
 */
const N = 100_000;

/** `unit` repeated until the note is about N characters. */
const fill = (unit: string): string => unit.repeat(Math.floor(N / unit.length));

export const PATHOLOGICAL_NOTES: Record<string, string> = {
  'emphasis *a ': fill('*a '),
  'strong **a ': fill('**a '),
  'underscore _a ': fill('_a '),
  'mixed *_': fill('*_'),
  'a**b': fill('a**b'),
  'open brackets [': fill('['),
  'unclosed links [x](': fill('[x]('),
  'nested brackets': '['.repeat(N / 2 - 20) + 'x' + ']'.repeat(N / 2 - 20) + '(https://e.com)',
  'images ![': fill('!['),
  'reference chain [a]': '[a]: /u\n\n' + fill('[a]'),
  'many definitions': Array.from({ length: 4_000 }, (_, i) => `[r${i}]: /u${i}`).join('\n') + '\n\n' + Array.from({ length: 4_000 }, (_, i) => `[r${i}]`).join(' '),
  'quote > on one line': fill('>'),
  'quote lines': fill('>'.repeat(300) + ' a\n'),
  'backticks `': fill('`'),
  'backtick runs': Array.from({ length: 440 }, (_, i) => '`'.repeat(i + 1) + 'a').join(' '),
  'backtick a``': fill('`a``'),
  'list - on one line': fill('- '),
  'nested list indents': Array.from({ length: 300 }, (_, i) => ' '.repeat(2 * i) + '- a').join('\n'),
  'ordered 1. on one line': fill('1. '),
  'html <': fill('<'),
  'html <a ': fill('<a '),
  'entities &#': fill('&#'),
  'backslashes': fill('\\'),
  'strike ~~a ': fill('~~a '),
  'short lines a\\n': fill('a\n'),
  'setext headings': fill('a\n=\n'),
  'atx headings': fill('# a\n'),
  'fenced code': '```\n' + fill('*a [x](\n'),
};
