import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { tinyCheckpoint } from '../support/tiny_checkpoint';

// The tiny checkpoint's context is 48 positions (tests/support/tiny_checkpoint.ts).
describe('duelbook commands against hostile flags (tiny checkpoint)', () => {
  let dir = '';
  beforeAll(() => {
    const ck = tinyCheckpoint(11);
    dir = mkdtempSync(path.join(tmpdir(), 'duelbook-hostile-'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(ck.hfConfig));
    writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(ck.tokenizer));
    writeFileSync(path.join(dir, 'model.safetensors'), ck.safetensors);
    const starts = ['The sea', 'A good day', 'They said', 'In the morning', 'We hope', 'The ship', 'It was', 'Our nation', 'The whale', 'He felt'];
    writeFileSync(path.join(dir, 'prompts.json'), JSON.stringify({ prompts: [...starts, ...starts.map((s) => s + ' that')] }));
  });
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const io: CliIO = { stdout: (s) => (out += s), stderr: (s) => (err += s), readFile: async () => '', isTTY: false };
    return { code: await main(argv, io), out, err };
  };
  const expectUsage = (r: { code: number; err: string }, message: RegExp) => {
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  };

  it('a command named after an Object.prototype member is unknown', async () => {
    for (const name of ['toString', 'constructor', '__proto__']) {
      const r = await run([name]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^duelbook: unknown command "${name}"`));
    }
  });

  it('logprobs --ids rejects empty and non-canonical items instead of reading them as token 0', async () => {
    expectUsage(await run(['logprobs', '--model', dir, '--ids', '1,,2']), /--ids: item 2 is empty in "1,,2"/);
    expectUsage(await run(['logprobs', '--model', dir, '--ids', '1, ,2']), /--ids: item 2 is empty/);
    expectUsage(await run(['logprobs', '--model', dir, '--ids', '1,2,']), /--ids: item 3 is empty/);
    expectUsage(await run(['logprobs', '--model', dir, '--ids', '1,0x2']), /--ids: item 2 \("0x2"\)/);
    const ok = await run(['logprobs', '--model', dir, '--ids', '1,2,3', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).ids).toEqual([1, 2, 3]);
  });

  it('generate: --max-tokens "" is an error, not 0; past the context is an error naming the limit', async () => {
    expectUsage(await run(['generate', '--model', dir, '--prompt', 'The sea', '--max-tokens', '']), /--max-tokens must be an integer/);
    expectUsage(await run(['generate', '--model', dir, '--prompt', 'The sea', '--temperature', 'NaN']), /--temperature must be a number/);
    expectUsage(await run(['generate', '--model', dir, '--prompt', 'The sea', '--max-tokens', '48']), /--max-tokens 48 exceeds the model's context of 48 tokens/);
  });

  it('generate: a prompt longer than the context fails unless --truncate-prompt is given', async () => {
    const long = 'the whale and the sea '.repeat(20);
    expectUsage(await run(['generate', '--model', dir, '--prompt', long, '--max-tokens', '4', '--json']), /--prompt is \d+ tokens; with --max-tokens 4 at most 44 fit the model's context of 48/);
    const cut = await run(['generate', '--model', dir, '--prompt', long, '--max-tokens', '4', '--json', '--truncate-prompt']);
    expect(cut.code).toBe(0);
    expect(JSON.parse(cut.out).ids.length).toBeLessThanOrEqual(4);
  });

  it('sim: an empty keyword list is an error, not a run where every vote ties', async () => {
    for (const kw of [',', '', 'sea,,ship']) {
      expectUsage(await run(['sim', '--model', dir, '--annotator', 'keyword', '--keywords', kw, '--votes', '1', '--eval-prompts', '2']), /--keywords/);
    }
  });

  it('sim: bad flags leave an existing --votes-out file untouched', async () => {
    const out = path.join(dir, 'keep.jsonl');
    writeFileSync(out, 'precious\n');
    for (const bad of [['--votes', ''], ['--lr', 'NaN'], ['--keywords', ','], ['--objective', 'nope'], ['--max-tokens', '1,,2'], ['--seed', '1e3']]) {
      const r = await run(['sim', '--model', dir, '--annotator', 'keyword', '--votes-out', out, '--eval-prompts', '2', ...bad]);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(readFileSync(out, 'utf8')).toBe('precious\n');
    }
    expect(readdirSync(dir).filter((f) => f.includes('keep.jsonl'))).toEqual(['keep.jsonl']);
  });

  it('sim: --votes-out into a missing folder is a one-line error, and the folder is not created', async () => {
    const missing = path.join(dir, 'no', 'such', 'votes.jsonl');
    const r = await run(['sim', '--model', dir, '--votes', '1', '--eval-prompts', '2', '--votes-out', missing]);
    expectUsage(r, /--votes-out ".*votes\.jsonl": folder ".*such" does not exist/);
    expect(r.err).not.toMatch(/\s+at /);
    expect(existsSync(path.join(dir, 'no'))).toBe(false);
    expectUsage(await run(['sim', '--model', dir, '--votes', '1', '--eval-prompts', '2', '--votes-out', dir]), /--votes-out ".*" is a folder/);
  });

  it('sim: a successful run replaces --votes-out in one step and leaves no temporary file', async () => {
    const out = path.join(dir, 'votes.jsonl');
    writeFileSync(out, 'old\n');
    const r = await run(['sim', '--model', dir, '--annotator', 'length', '--target-words', '3', '--votes', '3', '--eval-prompts', '4',
      '--max-tokens', '4', '--steps-per-vote', '1', '--batch-size', '2', '--seed', '2', '--json', '--votes-out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toHaveProperty('outcome');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('sim: a prompt that does not fit the context with --max-tokens is an error naming it, not cut', async () => {
    const file = path.join(dir, 'long_prompts.json');
    const starts = ['The sea', 'A good day', 'They said', 'In the morning', 'We hope', 'The ship', 'It was', 'Our nation', 'The whale', 'He felt'];
    writeFileSync(file, JSON.stringify({ prompts: [...starts, 'the whale and the sea '.repeat(20), ...starts] }));
    expectUsage(await run(['sim', '--model', dir, '--prompts', file, '--votes', '1', '--eval-prompts', '2', '--max-tokens', '4']),
      /long_prompts\.json: prompt 11 is \d+ tokens; with --max-tokens 4 it exceeds the model's context of 48/);
  });

  it('eval parses its flags strictly', async () => {
    expectUsage(await run(['eval', '--model', dir, '--prompts', '']), /--prompts must be an integer/);
    expectUsage(await run(['eval', '--model', dir, '--seed', '1.5']), /--seed must be an integer/);
    expectUsage(await run(['eval', '--model', '']), /--model must not be empty/);
  });
});
