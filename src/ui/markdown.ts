/**
 * A small Markdown parser for Note cells that produces a tree, never HTML. The tree is
 * rendered by Svelte as elements and text nodes, so any HTML in a note (`<img onerror=…>`,
 * `<script>`) shows as the literal text it is, and there is no `{@html}` anywhere.
 *
 * Links keep their href only if `safeHref` allows it (http, https, mailto, relative);
 * anything else (`javascript:`, `data:`, …) is rendered as plain text. Images are shown as
 * their alt text: a note must not make the page fetch from elsewhere.
 *
 * Supported: ATX headings, paragraphs, hard breaks (two spaces or `\` at line end), `-*+` and
 * numbered lists, fenced code, block quotes, rules, `code`, **strong**, *em*, ~~strike~~,
 * [links](url), <autolinks>, and backslash escapes. Nesting depth is bounded, so a hostile
 * note cannot overflow the stack.
 */
import { safeHref } from '../session/index';

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'del'; children: Inline[] }
  | { type: 'link'; href: string; external: boolean; children: Inline[] }
  | { type: 'break' };

export type Block =
  | { type: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'list'; ordered: boolean; start: number; items: Inline[][] }
  | { type: 'code'; lang: string; text: string }
  | { type: 'quote'; children: Block[] }
  | { type: 'rule' };

const MAX_QUOTE_DEPTH = 8;
const MAX_INLINE_DEPTH = 12;

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^ {0,3}([-*+])[ \t]+(.*)$/;
const ORDERED = /^ {0,3}(\d{1,9})[.)][ \t]+(.*)$/;

export function parseMarkdown(text: string): Block[] {
  return parseBlocks(text.replace(/\r\n?/g, '\n').split('\n'), 0);
}

function parseBlocks(lines: string[], depth: number): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const endParagraph = () => {
    if (paragraph.length > 0) blocks.push({ type: 'paragraph', children: parseInline(paragraph.join('\n'), 0) });
    paragraph = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    let m: RegExpExecArray | null;
    if (line.trim() === '') {
      endParagraph();
      i++;
    } else if ((m = FENCE.exec(line))) {
      endParagraph();
      const fence = m[1]!;
      const body: string[] = [];
      i++;
      while (i < lines.length && !new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`).test(lines[i]!)) body.push(lines[i++]!);
      i++; // the closing fence (or the end)
      blocks.push({ type: 'code', lang: m[2] ?? '', text: body.join('\n') });
    } else if ((m = HEADING.exec(line))) {
      endParagraph();
      blocks.push({ type: 'heading', level: m[1]!.length as 1 | 2 | 3 | 4 | 5 | 6, children: parseInline(m[2] ?? '', 0) });
      i++;
    } else if (RULE.test(line)) {
      endParagraph();
      blocks.push({ type: 'rule' });
      i++;
    } else if (QUOTE.test(line)) {
      endParagraph();
      const inner: string[] = [];
      while (i < lines.length && (m = QUOTE.exec(lines[i]!))) {
        inner.push(m[1]!);
        i++;
      }
      blocks.push(
        depth < MAX_QUOTE_DEPTH
          ? { type: 'quote', children: parseBlocks(inner, depth + 1) }
          : { type: 'paragraph', children: [{ type: 'text', text: inner.join('\n') }] },
      );
    } else if (BULLET.test(line) || (ORDERED.test(line) && (paragraph.length === 0 || ORDERED.exec(line)![1] === '1'))) {
      endParagraph();
      const ordered = !BULLET.test(line);
      const pattern = ordered ? ORDERED : BULLET;
      const start = ordered ? Number(ORDERED.exec(line)![1]) : 1;
      const items: string[][] = [];
      while (i < lines.length) {
        const current = lines[i]!;
        const item = pattern.exec(current);
        if (item) {
          items.push([item[2]!]);
        } else if (current.trim() !== '' && /^[ \t]+\S/.test(current) && items.length > 0) {
          items[items.length - 1]!.push(current.trim()); // an indented continuation line
        } else break;
        i++;
      }
      blocks.push({ type: 'list', ordered, start, items: items.map((item) => parseInline(item.join('\n'), 0)) });
    } else {
      paragraph.push(line);
      i++;
    }
  }
  endParagraph();
  return blocks;
}

const ESCAPABLE = /[\\`*_{}[\]()#+\-.!~<>|"']/;

/** Inline content of one block. Text nodes are merged so rendering stays cheap. */
export function parseInline(text: string, depth: number): Inline[] {
  const out: Inline[] = [];
  let buffer = '';
  const pushText = (t: string) => {
    buffer += t;
  };
  const flush = () => {
    if (buffer !== '') out.push({ type: 'text', text: buffer });
    buffer = '';
  };
  const push = (node: Inline) => {
    flush();
    out.push(node);
  };
  const nested = (inner: string): Inline[] => (depth < MAX_INLINE_DEPTH ? parseInline(inner, depth + 1) : [{ type: 'text', text: inner }]);

  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    // Hard line break: backslash or two spaces before a newline; a lone newline is a space.
    if (c === '\n') {
      if (buffer.endsWith('  ') || buffer.endsWith('\\')) {
        buffer = buffer.replace(/(?: {2,}|\\)$/, '');
        push({ type: 'break' });
      } else {
        buffer = buffer.replace(/ +$/, '');
        pushText(' ');
      }
      i++;
      continue;
    }
    if (c === '\\' && i + 1 < text.length && ESCAPABLE.test(text[i + 1]!)) {
      pushText(text[i + 1]!);
      i += 2;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(text.slice(i))![0];
      const close = text.indexOf(run, i + run.length);
      if (close !== -1) {
        push({ type: 'code', text: text.slice(i + run.length, close).replace(/\n/g, ' ').trim() || ' ' });
        i = close + run.length;
      } else {
        pushText(run);
        i += run.length;
      }
      continue;
    }
    if (c === '!' && text[i + 1] === '[') {
      const link = readLink(text, i + 1);
      if (link) {
        // Images are not loaded: their alt text stands in for them.
        pushText(link.label);
        i = link.end;
        continue;
      }
    }
    if (c === '[') {
      const link = readLink(text, i);
      if (link) {
        const href = safeHref(link.url);
        if (href === null) pushText(link.label);
        else push({ type: 'link', href, external: /^(https?:|mailto:)/i.test(href), children: nested(link.label) });
        i = link.end;
        continue;
      }
    }
    if (c === '<') {
      const m = /^<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*)>/.exec(text.slice(i));
      if (m) {
        const href = safeHref(m[1]!);
        if (href === null) pushText(m[1]!);
        else push({ type: 'link', href, external: true, children: [{ type: 'text', text: m[1]! }] });
        i += m[0].length;
        continue;
      }
    }
    if (c === '*' || c === '_' || c === '~') {
      const double = text[i + 1] === c;
      if (c === '~' && !double) {
        pushText(c);
        i++;
        continue;
      }
      const marker = double ? c + c : c;
      const afterOpen = text[i + marker.length];
      // `_` inside a word (snake_case) is not emphasis.
      const intraword = c === '_' && i > 0 && /\w/.test(text[i - 1]!);
      if (afterOpen !== undefined && !/\s/.test(afterOpen) && !intraword) {
        const close = findCloser(text, i + marker.length, marker);
        if (close !== -1) {
          const children = nested(text.slice(i + marker.length, close));
          push(c === '~' ? { type: 'del', children } : double ? { type: 'strong', children } : { type: 'em', children });
          i = close + marker.length;
          continue;
        }
      }
      pushText(marker);
      i += marker.length;
      continue;
    }
    pushText(c);
    i++;
  }
  flush();
  return out;
}

/** `[label](url "title")` starting at `start` (the `[`), or null. */
function readLink(text: string, start: number): { label: string; url: string; end: number } | null {
  let depth = 0;
  let i = start;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) break;
  }
  if (i >= text.length || text[i + 1] !== '(') return null;
  const m = /^\(\s*(<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+("[^"]*"|'[^']*'))?\s*\)/.exec(text.slice(i + 1));
  if (!m) return null;
  const raw = m[1]!;
  const url = raw.startsWith('<') ? raw.slice(1, -1) : raw;
  return { label: text.slice(start + 1, i), url, end: i + 1 + m[0].length };
}

/** Index of the closing `marker` for an emphasis opened before `from`, or -1. */
function findCloser(text: string, from: number, marker: string): number {
  let i = from;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(text.slice(i))![0];
      const close = text.indexOf(run, i + run.length);
      i = close === -1 ? i + run.length : close + run.length;
      continue;
    }
    if (text.startsWith(marker, i) && !/\s/.test(text[i - 1]!)) {
      // A single marker must not be the start of a double one (`*a **b** c*` closes at the end).
      if (marker.length === 1 && text[i + 1] === marker) {
        const inner = findCloser(text, i + 2, marker + marker);
        if (inner !== -1) {
          i = inner + 2;
          continue;
        }
      }
      const after = text[i + marker.length];
      if (marker[0] !== '_' || after === undefined || !/\w/.test(after)) return i;
    }
    i++;
  }
  return -1;
}
