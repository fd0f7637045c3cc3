/**
 * Markdown for Note cells: CommonMark parsed by `mdast-util-from-markdown` (micromark), then
 * converted into a small tree of our own that the Svelte renderer turns into elements and
 * text nodes. The tree never holds HTML: raw HTML in a note (`<img onerror=…>`, `<script>`)
 * becomes the literal text it is, and there is no `{@html}` anywhere.
 *
 * Links keep their href only if `safeHref` allows it (http, https, mailto, relative);
 * anything else (`javascript:`, `data:`, …) is rendered as its label text. Images are shown as
 * their alt text: a note must not make the page fetch from elsewhere.
 *
 * Supported: everything CommonMark has (ATX and setext headings, paragraphs, hard breaks,
 * lists, fenced and indented code, block quotes, rules, code spans, emphasis, links, link
 * references, autolinks, escapes, entities) plus ~~strikethrough~~.
 *
 * Bounded work: micromark is superlinear on some inputs (measured in Node on 100 KB notes: one
 * paragraph of 50 000 short lines 4.4 s, 100 000 `>` on one line 512 s, `[x](` repeated 4.0 s), so text longer
 * than `CHUNK_CHARS` is parsed in pieces of at most that size, cut at blank lines where
 * possible, and pieces of one block are joined again. A superlinear cost on a piece is then
 * bounded by the piece size and the total is linear in the note. The price: in notes longer
 * than a piece, emphasis or a link cannot span a cut, and only one-line link reference
 * definitions (the first `MAX_SHARED_DEFINITION_CHARS` of them) reach other pieces. Nesting deeper than `MAX_DEPTH` is shown as plain text, and so
 * is everything after the piece where the tree reaches `MAX_NODES` nodes.
 */
import { fromMarkdown } from 'mdast-util-from-markdown';
import { safeHref } from '../session/index';

// The mdast types, derived from the parser's own signature (`mdast` itself is not a dependency).
type MdRoot = ReturnType<typeof fromMarkdown>;
type MdContent = MdRoot['children'][number] | Extract<MdRoot['children'][number], { type: 'list' }>['children'][number];
type MdNode = MdRoot | MdContent | Extract<MdContent, { type: 'paragraph' }>['children'][number];
type MdParent = Extract<MdNode, { children: unknown }>;

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
  /** `tight` lists render their items' paragraphs without `<p>`. */
  | { type: 'list'; ordered: boolean; start: number; tight: boolean; items: Block[][] }
  | { type: 'code'; lang: string; text: string }
  | { type: 'quote'; children: Block[] }
  | { type: 'rule' }
  /** Text past the node budget, shown as written (white space kept), without formatting. */
  | { type: 'plain'; text: string };

/** Largest piece handed to micromark at once (see the module comment for why). */
export const CHUNK_CHARS = 1000;
/**
 * Most nodes the tree may hold. Each rendered node costs Svelte a few effects; 25 000
 * headings took 9 s to mount in Chromium here, so past this budget the rest of the note is
 * shown as plain text.
 */
export const MAX_NODES = 5_000;
/** Most block quote and list markers that may open on one line; later ones are text. */
export const MAX_LINE_CONTAINERS = 8;
/** Deepest nesting of blocks and inlines together that is rendered as structure. */
export const MAX_DEPTH = 16;

export function parseMarkdown(text: string): Block[] {
  const normalised = text.replace(/\r\n?/g, '\n');
  const blocks: Block[] = [];
  const budget: Budget = { nodes: MAX_NODES };
  const pieces = splitIntoPieces(normalised);
  const shared = pieces.length > 1 ? sharedDefinitionLines(normalised) : '';
  for (let p = 0; p < pieces.length; p++) {
    const piece = pieces[p]!;
    if (budget.nodes <= 0) {
      blocks.push({ type: 'plain', text: pieces.slice(p).map((rest) => rest.text).join('\n') });
      break;
    }
    // Capped per piece: a line cut in two starts a new line in the next piece.
    // The note's definitions go before each piece (they render nothing), so a reference in
    // one piece finds a definition written in another, as it would in the whole note.
    const tree = fromMarkdown(shared + capLineContainers(piece.text));
    const parsed = convertBlocks(tree.children, 0, { definitions: definitionsOf(tree), budget });
    if (piece.continues && blocks.length > 0 && parsed.length > 0) {
      const joined = joinBlocks(blocks[blocks.length - 1]!, parsed[0]!);
      if (joined !== null) {
        blocks[blocks.length - 1] = joined;
        parsed.shift();
      }
    }
    for (const block of parsed) blocks.push(block);
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// Pieces

interface Piece {
  text: string;
  /** True when the cut before this piece fell inside a block (not at a blank line). */
  continues: boolean;
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Cuts `text` into pieces of at most `CHUNK_CHARS` characters: at blank lines outside fenced
 * code where there is one, else at a line end, else inside a line. A fence cut in two is
 * reopened at the top of the next piece so its content stays code.
 */
function splitIntoPieces(text: string): Piece[] {
  if (text.length <= CHUNK_CHARS) return [{ text, continues: false }];
  const pieces: Piece[] = [];
  let lines: string[] = [];
  let size = 0;
  let lastBlank = -1; // index into `lines` of the last blank line outside a fence
  let fence: string | null = null; // the opening line of the fence we are inside
  let continues = false;
  const emit = (upTo: number, nextContinues: boolean, reopen: string | null) => {
    const taken = lines.slice(0, upTo);
    pieces.push({ text: taken.join('\n'), continues });
    lines = lines.slice(upTo);
    if (reopen !== null) lines.unshift(reopen);
    size = lines.reduce((n, l) => n + l.length + 1, 0);
    lastBlank = -1;
    continues = nextContinues;
  };
  const push = (line: string) => {
    if (size + line.length + 1 > CHUNK_CHARS && lines.length > 0) {
      if (lastBlank > 0) emit(lastBlank + 1, false, null);
      else emit(lines.length, true, fence);
      for (let i = 0; i < lines.length; i++) if (lines[i]!.trim() === '' && fence === null) lastBlank = i;
    }
    if (line.trim() === '' && fence === null) lastBlank = lines.length;
    lines.push(line);
    size += line.length + 1;
  };
  for (const line of text.split('\n')) {
    // The fence this line opens or closes takes effect after the line is placed: a cut just
    // before an opening line must not reopen it, and one before a closing line must.
    let nextFence: string | null = fence;
    const marker = FENCE_LINE.exec(line)?.[1];
    if (marker !== undefined) {
      // Reopened at the top of each later piece, so keep it short: the marker and a short info string.
      if (fence === null) nextFence = line.length <= 100 ? line : marker.slice(0, 100);
      else if (marker[0] === FENCE_LINE.exec(fence)![1]![0] && marker.length >= FENCE_LINE.exec(fence)![1]!.length && /^ {0,3}(`+|~+)\s*$/.test(line)) nextFence = null;
    }
    // A line longer than a piece is cut at spaces where it can be, else anywhere.
    let rest = line;
    while (rest.length > CHUNK_CHARS) {
      const space = rest.lastIndexOf(' ', CHUNK_CHARS - 1);
      const cut = space > CHUNK_CHARS / 2 ? space + 1 : CHUNK_CHARS - 1;
      push(rest.slice(0, cut));
      emit(lines.length, true, fence);
      rest = rest.slice(cut);
    }
    push(rest);
    fence = nextFence;
  }
  if (lines.length > 0) pieces.push({ text: lines.join('\n'), continues });
  return pieces;
}

/** Most characters of link reference definitions copied into every piece. */
export const MAX_SHARED_DEFINITION_CHARS = 1000;
/** A one-line link reference definition, `[label]: url "title"`, outside any container. */
const DEFINITION_LINE = /^ {0,3}\[[^\]\[\n]{1,200}\]:[ \t]*\S+(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*$/;

/**
 * The note's one-line link reference definitions, each followed by a blank line, up to
 * `MAX_SHARED_DEFINITION_CHARS` (the bound keeps a piece's parse cheap). Lines in fenced code
 * are skipped; a definition wrapped over several lines is not found and stays piece-local.
 */
function sharedDefinitionLines(text: string): string {
  let out = '';
  let fence: string | null = null;
  for (const line of text.split('\n')) {
    const marker = FENCE_LINE.exec(line)?.[1];
    if (marker !== undefined) {
      if (fence === null) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length && /^ {0,3}(`+|~+)\s*$/.test(line)) fence = null;
      continue;
    }
    if (fence !== null || !DEFINITION_LINE.test(line)) continue;
    if (out.length + line.length + 2 > MAX_SHARED_DEFINITION_CHARS) break;
    out += line.trim() + '\n\n';
  }
  return out;
}

/**
 * Escapes the container markers on a line past the first `MAX_LINE_CONTAINERS` (`> > > …`,
 * `- - - …`, `1. 1. 1. …`), so they are text: micromark's cost grows with the square of the
 * containers one line opens (100 000 `>` took over 8 minutes in Node).
 */
function capLineContainers(text: string): string {
  if (text.length < MAX_LINE_CONTAINERS * 2) return text;
  return text.replace(/^[ \t>*+\-\d.)]{16,}/gm, (prefix) => {
    let count = 0;
    let i = 0;
    while (i < prefix.length) {
      const c = prefix[i]!;
      if (c === ' ' || c === '\t') {
        i++;
        continue;
      }
      let markerEnd = -1; // index just past the marker, or -1 if there is none here
      let escapeAt = i;
      if (c === '>') markerEnd = i + 1;
      else if ((c === '-' || c === '*' || c === '+') && /^[ \t]?$/.test(prefix[i + 1] ?? '')) markerEnd = i + 1;
      else {
        const digits = /^\d{1,9}[.)]/.exec(prefix.slice(i, i + 10));
        if (digits && /^[ \t]?$/.test(prefix[i + digits[0].length] ?? '')) {
          markerEnd = i + digits[0].length;
          escapeAt = markerEnd - 1;
        }
      }
      if (markerEnd === -1) break;
      if (++count > MAX_LINE_CONTAINERS) return `${prefix.slice(0, escapeAt)}\\${prefix.slice(escapeAt)}`;
      i = markerEnd;
    }
    return prefix;
  });
}

/** The two halves of one block that a cut separated, as one block; null if they are not. */
function joinBlocks(before: Block, after: Block): Block | null {
  if (before.type === 'paragraph' && after.type === 'paragraph') {
    return { type: 'paragraph', children: mergeText([...before.children, { type: 'text', text: ' ' }, ...after.children]) };
  }
  if (before.type === 'code' && after.type === 'code' && before.lang === after.lang) {
    return { type: 'code', lang: before.lang, text: `${before.text}\n${after.text}` };
  }
  if (before.type === 'list' && after.type === 'list' && before.ordered === after.ordered) {
    return { ...before, tight: before.tight && after.tight, items: [...before.items, ...after.items] };
  }
  if (before.type === 'quote' && after.type === 'quote') return { type: 'quote', children: [...before.children, ...after.children] };
  return null;
}

// ---------------------------------------------------------------------------------------------
// mdast → our tree

type Definitions = Map<string, string>;
interface Budget {
  /** Nodes that may still be made; the piece that crosses zero is finished, then we stop. */
  nodes: number;
}
interface Context {
  definitions: Definitions;
  budget: Budget;
}

/**
 * Link reference definitions of one piece, by normalised label. mdast-util-from-markdown
 * resolves `[text][label]` to a `linkReference` with the label; the url is in a `definition`.
 */
function definitionsOf(tree: MdNode): Definitions {
  const map: Definitions = new Map();
  const stack: MdNode[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === 'definition') {
      if (!map.has(node.identifier)) map.set(node.identifier, node.url);
    } else if ('children' in node && (node.type === 'root' || node.type === 'blockquote' || node.type === 'list' || node.type === 'listItem')) {
      for (const child of node.children) stack.push(child);
    }
  }
  return map;
}

function convertBlocks(nodes: readonly MdContent[], depth: number, ctx: Context): Block[] {
  const out: Block[] = [];
  for (const node of nodes) {
    const block = convertBlock(node, depth, ctx);
    if (block !== null) out.push(block);
  }
  return out;
}

function convertBlock(node: MdContent, depth: number, ctx: Context): Block | null {
  ctx.budget.nodes--;
  if (depth >= MAX_DEPTH) return { type: 'paragraph', children: [{ type: 'text', text: plainText(node) }] };
  switch (node.type) {
    case 'heading':
      return { type: 'heading', level: node.depth, children: convertInlines(node.children, depth + 1, ctx) };
    case 'paragraph':
      return { type: 'paragraph', children: convertInlines(node.children, depth + 1, ctx) };
    case 'list':
      return {
        type: 'list',
        ordered: node.ordered === true,
        start: node.start ?? 1,
        tight: node.spread !== true && node.children.every((item) => item.spread !== true),
        items: node.children.map((item) => convertBlocks(item.children, depth + 2, ctx)),
      };
    case 'code':
      return { type: 'code', lang: node.lang ?? '', text: node.value };
    case 'blockquote':
      return { type: 'quote', children: convertBlocks(node.children, depth + 1, ctx) };
    case 'thematicBreak':
      return { type: 'rule' };
    case 'html':
      // Raw HTML is shown as the text it is, one line per line.
      return { type: 'paragraph', children: linesAsInlines(node.value) };
    case 'definition':
      return null;
    default:
      // Anything else CommonMark cannot produce at block level still shows its text.
      return { type: 'paragraph', children: [{ type: 'text', text: plainText(node) }] };
  }
}

function convertInlines(nodes: readonly MdContent[], depth: number, ctx: Context): Inline[] {
  const out: Inline[] = [];
  for (const node of nodes) convertInline(node, depth, ctx, out);
  return strikethrough(mergeText(out));
}

function convertInline(node: MdContent, depth: number, ctx: Context, out: Inline[]): void {
  ctx.budget.nodes--;
  if (depth >= MAX_DEPTH) {
    out.push({ type: 'text', text: plainText(node) });
    return;
  }
  switch (node.type) {
    case 'text':
      out.push({ type: 'text', text: node.value });
      return;
    case 'inlineCode':
      out.push({ type: 'code', text: node.value });
      return;
    case 'strong':
      out.push({ type: 'strong', children: convertInlines(node.children, depth + 1, ctx) });
      return;
    case 'emphasis':
      out.push({ type: 'em', children: convertInlines(node.children, depth + 1, ctx) });
      return;
    case 'delete':
      out.push({ type: 'del', children: convertInlines(node.children, depth + 1, ctx) });
      return;
    case 'break':
      out.push({ type: 'break' });
      return;
    case 'html':
      for (const inline of linesAsInlines(node.value)) out.push(inline);
      return;
    case 'link':
    case 'linkReference': {
      const url = node.type === 'link' ? node.url : ctx.definitions.get(node.identifier);
      const href = url === undefined ? null : safeHref(url);
      const children = convertInlines(node.children, depth + 1, ctx);
      if (href === null) for (const child of children) out.push(child);
      else out.push({ type: 'link', href, external: /^(https?:|mailto:)/i.test(href), children });
      return;
    }
    case 'image':
    case 'imageReference':
      // Images are not loaded: their alt text stands in for them.
      if (node.alt) out.push({ type: 'text', text: node.alt });
      return;
    default:
      out.push({ type: 'text', text: plainText(node) });
  }
}

function linesAsInlines(value: string): Inline[] {
  const out: Inline[] = [];
  value.split('\n').forEach((line, i) => {
    if (i > 0) out.push({ type: 'break' });
    out.push({ type: 'text', text: line });
  });
  return out;
}

/** The text of a subtree, walked without recursion (it may be thousands of levels deep). */
function plainText(root: MdNode): string {
  const parts: string[] = [];
  const stack: MdNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if ('value' in node && typeof node.value === 'string' && node.type !== 'yaml') parts.push(node.value);
    else if ((node.type === 'image' || node.type === 'imageReference') && node.alt) parts.push(node.alt);
    if ('children' in node) {
      const children = (node as MdParent).children;
      // Blocks are separated by a space; it is pushed first so it comes out after the children.
      if (node.type === 'paragraph' || node.type === 'heading' || node.type === 'listItem') stack.push({ type: 'text', value: ' ' });
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
  }
  return parts.join('').replace(/\s+/g, ' ').trim();
}

/** Adjacent text nodes as one, so rendering makes one DOM text node per run. */
function mergeText(nodes: Inline[]): Inline[] {
  const out: Inline[] = [];
  for (const node of nodes) {
    const last = out[out.length - 1];
    if (node.type === 'text' && last?.type === 'text') out[out.length - 1] = { type: 'text', text: last.text + node.text };
    else if (node.type !== 'text' || node.text !== '') out.push(node);
  }
  return out;
}

/**
 * GFM strikethrough (`~~text~~`) over one run of inlines, in one pass: micromark's
 * CommonMark has no such construct, so it arrives as text. An opener must be followed by a
 * non-space and a closer preceded by one; a run of other than two tildes is plain text.
 */
function strikethrough(nodes: Inline[]): Inline[] {
  if (!nodes.some((n) => n.type === 'text' && n.text.includes('~~'))) return nodes;
  const out: Inline[] = [];
  let opener = -1; // index in `out` of the text node '~~' that opened a strike
  for (const [index, node] of nodes.entries()) {
    if (node.type !== 'text' || !node.text.includes('~~')) {
      out.push(node);
      continue;
    }
    const text = node.text;
    let from = 0;
    const runs = /~+/g;
    let m: RegExpExecArray | null;
    while ((m = runs.exec(text)) !== null) {
      if (m[0].length !== 2) continue;
      // At the edge of a text node the neighbour is another inline (code, strong, …): not a space.
      const previous = out[out.length - 1];
      const before = m.index > 0 ? text[m.index - 1] : previous === undefined ? undefined : previous.type === 'text' ? previous.text.slice(-1) : 'x';
      const after = m.index + 2 < text.length ? text[m.index + 2] : index + 1 < nodes.length ? 'x' : undefined;
      if (opener !== -1 && before !== undefined && !/\s/.test(before)) {
        if (m.index > from) out.push({ type: 'text', text: text.slice(from, m.index) });
        const children = mergeText(out.splice(opener + 1));
        out.pop(); // the opener placeholder
        out.push({ type: 'del', children });
        opener = -1;
        from = m.index + 2;
      } else if (opener === -1 && after !== undefined && !/\s/.test(after)) {
        if (m.index > from) out.push({ type: 'text', text: text.slice(from, m.index) });
        out.push({ type: 'text', text: '~~' });
        opener = out.length - 1;
        from = m.index + 2;
      }
    }
    if (from < text.length) out.push({ type: 'text', text: text.slice(from) });
  }
  return mergeText(out);
}
