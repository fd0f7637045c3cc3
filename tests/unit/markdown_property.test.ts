/**
 * Properties of the Note Markdown tree (src/ui/markdown.ts) on arbitrary text, biased toward
 * Markdown's own characters and hostile fragments: it is built quickly, holds only the node
 * kinds the renderer knows (none of which is raw HTML), and every href is one safeHref allows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeHref } from '../../src/session/index.ts';
import { MAX_DEPTH, parseMarkdown, type Block, type Inline } from '../../src/ui/markdown.ts';

const FRAGMENTS = [
  '*', '_', '**', '~~', '`', '```', '[', ']', '(', ')', '![', '<', '>', '#', '- ', '1. ', '\n', '\n\n', '    ', '\\', '&#106;', '&amp;',
  'javascript:alert(1)', 'JaVaScRiPt:', 'data:text/html,x', 'vbscript:x', 'java\tscript:', 'https://e.com', 'mailto:a@b.c', './rel',
  '<script>', '<img src=x onerror=alert(1)>', '[x]: ', 'a', ' ', 'é',
];
const markdownish = fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 4 })), { maxLength: 80 }).map((parts) => parts.join(''));

/** URLs a hostile note would try, with the case, spacing and escapes that walk naive checks. */
const hostileUrl = fc
  .tuple(
    fc.constantFrom('javascript:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x', 'file:///etc/passwd', 'blob:x', 'https://e.com/a', 'mailto:a@b.c', '../rel', '#top'),
    fc.constantFrom('', ' ', '\t', '&#x20;'),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([url, pad, upper, entity]) => {
    let out = upper ? url.toUpperCase() : url;
    if (entity) out = out.replace('j', '&#106;').replace('a', '&#x61;');
    return pad + out;
  });
/** Well-formed links, images, autolinks and references around a hostile URL, in Markdown context. */
const linkish = fc
  .tuple(
    markdownish,
    fc.constantFrom('label', '**bold** label', '`code`', ''),
    hostileUrl,
    fc.constantFrom('inline', 'pointy', 'image', 'autolink', 'reference'),
    markdownish,
  )
  .map(([before, label, url, form, after]) => {
    const link =
      form === 'inline' ? `[${label}](${url.replace(/[ \t]/g, '')})`
      : form === 'pointy' ? `[${label}](<${url}>)`
      : form === 'image' ? `![${label}](${url.replace(/[ \t]/g, '')})`
      : form === 'autolink' ? `<${url.trim()}>`
      : `[${label || 'x'}][ref]\n\n[ref]: <${url}>`;
    return `${before} ${link} ${after}`;
  });

const BLOCK_TYPES = new Set(['heading', 'paragraph', 'list', 'code', 'quote', 'rule', 'plain']);
const INLINE_TYPES = new Set(['text', 'code', 'strong', 'em', 'del', 'link', 'break']);

/** Every node's kind and every href, walked without recursion; also the deepest nesting. */
function walk(blocks: Block[]): { types: string[]; hrefs: string[]; depth: number } {
  const types: string[] = [];
  const hrefs: string[] = [];
  let depth = 0;
  const stack: [Block | Inline, number, 'block' | 'inline'][] = blocks.map((b) => [b, 1, 'block']);
  while (stack.length > 0) {
    const [node, d, level] = stack.pop()!;
    depth = Math.max(depth, d);
    types.push(`${level}:${node.type}`);
    if (node.type === 'link') hrefs.push(node.href);
    if (node.type === 'list') for (const item of node.items) for (const b of item) stack.push([b, d + 2, 'block']);
    else if (node.type === 'quote') for (const b of node.children) stack.push([b, d + 1, 'block']);
    else if ('children' in node) for (const c of node.children) stack.push([c, d + 1, 'inline']);
  }
  return { types, hrefs, depth };
}

describe('parseMarkdown properties', () => {
  it('builds only known, HTML-free nodes with vetted hrefs, quickly', () => {
    fc.assert(
      fc.property(fc.oneof(markdownish, linkish, linkish, fc.string({ maxLength: 200 })), (text) => {
        const t0 = performance.now();
        const tree = parseMarkdown(text);
        expect(performance.now() - t0).toBeLessThan(1_000);
        const { types, hrefs, depth } = walk(tree);
        for (const t of types) {
          const [level, type] = t.split(':') as [string, string];
          expect(level === 'block' ? BLOCK_TYPES.has(type) : INLINE_TYPES.has(type), t).toBe(true);
        }
        for (const href of hrefs) {
          expect(safeHref(href)).toBe(href);
          expect(href).toMatch(/^(https?:|mailto:|[^:]*$|[^:]*[/?#])/i);
        }
        expect(depth).toBeLessThanOrEqual(MAX_DEPTH + 2);
      }),
      { numRuns: 400 },
    );
  });

  it('stays bounded on long repetitions of hostile fragments', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 4 }), fc.integer({ min: 500, max: 3_000 }), (unit, times) => {
        const text = unit.join('').repeat(times).slice(0, 20_000);
        const t0 = performance.now();
        walk(parseMarkdown(text));
        expect(performance.now() - t0).toBeLessThan(2_000);
      }),
      { numRuns: 15 },
    );
  });
});
