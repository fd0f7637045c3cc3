/**
 * The Note Markdown tree (src/ui/markdown.ts): CommonMark constructs the hand-written parser
 * lacked, strikethrough kept, and the bounds (pieces, container markers per line, depth,
 * node budget) that keep a 100 KB hostile note cheap without breaking ordinary long notes.
 */
import { describe, expect, it } from 'vitest';
import { CHUNK_CHARS, MAX_LINE_CONTAINERS, MAX_NODES, parseMarkdown, type Block } from '../../src/ui/markdown.ts';

const paragraph = (text: string) => {
  const [block] = parseMarkdown(text);
  if (block?.type !== 'paragraph') throw new Error(`expected a paragraph from ${JSON.stringify(text)}`);
  return block.children;
};

describe('parseMarkdown', () => {
  it('reads setext headings, indented code and reference links, as CommonMark does', () => {
    expect(parseMarkdown('Title\n=====\n\n    code here\n\nSee [the docs][d].\n\n[d]: https://example.com/docs')).toEqual([
      { type: 'heading', level: 1, children: [{ type: 'text', text: 'Title' }] },
      { type: 'code', lang: '', text: 'code here' },
      {
        type: 'paragraph',
        children: [
          { type: 'text', text: 'See ' },
          { type: 'link', href: 'https://example.com/docs', external: true, children: [{ type: 'text', text: 'the docs' }] },
          { type: 'text', text: '.' },
        ],
      },
    ]);
  });

  it('refuses unsafe reference links and autolinks, keeping their text', () => {
    expect(paragraph('[x][bad] <javascript:alert(1)>\n\n[bad]: javascript:alert(2)')).toEqual([{ type: 'text', text: 'x javascript:alert(1)' }]);
  });

  it('keeps ~~strikethrough~~, also around other inlines', () => {
    expect(paragraph('a ~~gone **now**~~ b ~~ not ~~')).toEqual([
      { type: 'text', text: 'a ' },
      { type: 'del', children: [{ type: 'text', text: 'gone ' }, { type: 'strong', children: [{ type: 'text', text: 'now' }] }] },
      { type: 'text', text: ' b ~~ not ~~' },
    ]);
  });

  it('nests lists with block content', () => {
    const [list] = parseMarkdown('- one\n  - inner\n- two');
    expect(list).toMatchObject({
      type: 'list',
      items: [[{ type: 'paragraph' }, { type: 'list', items: [[{ type: 'paragraph', children: [{ text: 'inner' }] }]] }], [{ type: 'paragraph' }]],
    });
  });

  it('resolves a reference whose definition sits in another piece of a long note', () => {
    const filler = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} ${'text '.repeat(12)}`).join('\n\n');
    const note = `See [the docs][d] first.\n\n${filler}\n\nAnd [again][d].\n\n\`\`\`\n[x]: https://not.a.definition/\n\`\`\`\n\n[d]: https://example.com/docs "Docs"`;
    expect(note.length).toBeGreaterThan(2 * CHUNK_CHARS);
    const blocks = parseMarkdown(note);
    const links = JSON.stringify(blocks).match(/"href":"[^"]*"/g);
    expect(links).toEqual(['"href":"https://example.com/docs"', '"href":"https://example.com/docs"']);
    // A definition-looking line inside fenced code stays code and defines nothing.
    expect(blocks.find((b) => b.type === 'code')).toEqual({ type: 'code', lang: '', text: '[x]: https://not.a.definition/' });
  });

  it('keeps a paragraph and a fenced block longer than a piece whole', () => {
    const words = 'word '.repeat(CHUNK_CHARS).trim();
    const blocks = parseMarkdown(`${words}\n\n\`\`\`\n${'line\n'.repeat(CHUNK_CHARS / 2)}\`\`\``);
    expect(blocks.map((b) => b.type)).toEqual(['paragraph', 'code']);
    const text = (blocks[0] as Extract<Block, { type: 'paragraph' }>).children.map((n) => (n.type === 'text' ? n.text : '')).join('');
    expect(text.replace(/\s+/g, ' ')).toBe(words);
    expect((blocks[1] as Extract<Block, { type: 'code' }>).text).toBe('line\n'.repeat(CHUNK_CHARS / 2).slice(0, -1));
  });

  it('keeps a fenced block whole wherever a cut between pieces falls', () => {
    // Padding moves the cut across the opening fence, the code, and the closing fence.
    for (let pad = CHUNK_CHARS - 20; pad <= CHUNK_CHARS + 5; pad++) {
      const text = `${'p'.repeat(pad - 2)}\n\`\`\`\ncode\n\`\`\`\nafter`;
      const types = parseMarkdown(text).map((b) => b.type);
      expect(types, `pad ${pad}`).toEqual(['paragraph', 'code', 'paragraph']);
    }
  });

  it('opens at most MAX_LINE_CONTAINERS block quotes on one line; the rest is text', () => {
    let block: Block | undefined = parseMarkdown('> '.repeat(MAX_LINE_CONTAINERS + 3) + 'deep')[0];
    let depth = 0;
    while (block?.type === 'quote') {
      depth++;
      block = block.children[0];
    }
    expect(depth).toBe(MAX_LINE_CONTAINERS);
    expect(block).toEqual({ type: 'paragraph', children: [{ type: 'text', text: '> > > deep' }] });
  });

  it('shows the rest of a note as plain text past the node budget', () => {
    const blocks = parseMarkdown('# h\n\n'.repeat(MAX_NODES));
    const last = blocks[blocks.length - 1]!;
    expect(last.type).toBe('plain');
    expect(blocks.length).toBeLessThan(MAX_NODES);
  });
});
