import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkOutputPath, OutputFile } from '../../src/cli/output_file';
import { UsageError } from '../../src/cli/io';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'duelbook-out-'));

describe('OutputFile: a target is replaced only by a finished run', () => {
  it('leaves the target as it was while writing and after a discard, with no temporary file left', async () => {
    const dir = fresh();
    const target = path.join(dir, 'votes.jsonl');
    writeFileSync(target, 'precious\n');
    const out = await OutputFile.create('votes-out', target);
    out.write('new line\n'.repeat(200_000)); // past the 1 MiB chunk, so a background write runs
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    await out.discard();
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(readdirSync(dir)).toEqual(['votes.jsonl']);
  });

  it('commit renames the whole content into place', async () => {
    const dir = fresh();
    const target = path.join(dir, 'votes.jsonl');
    writeFileSync(target, 'old\n');
    const out = await OutputFile.create('votes-out', target);
    out.write('a\n');
    out.write('b\n');
    await out.commit();
    expect(readFileSync(target, 'utf8')).toBe('a\nb\n');
    expect(readdirSync(dir)).toEqual(['votes.jsonl']);
  });

  it('a failure at the end is one line naming the flag, and the target is untouched', async () => {
    const dir = fresh();
    const target = path.join(dir, 'votes.jsonl');
    writeFileSync(target, 'precious\n');
    const out = await OutputFile.create('votes-out', target);
    out.write('x\n');
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.tmp'))) unlinkSync(path.join(dir, f));
    await expect(out.commit()).rejects.toThrow(/^--votes-out ".*votes\.jsonl": could not be written \(ENOENT\)$/);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
  });

  it('checkOutputPath refuses a missing folder or a folder as the file, creating nothing', async () => {
    const dir = fresh();
    await expect(checkOutputPath('votes-out', path.join(dir, 'a', 'b.jsonl'))).rejects.toThrow(UsageError);
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
    await expect(checkOutputPath('votes-out', dir)).rejects.toThrow(/is a folder/);
    await expect(checkOutputPath('votes-out', path.join(dir, 'ok.jsonl'))).resolves.toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });
});
