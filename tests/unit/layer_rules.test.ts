import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The layer rules can fail: cruise a miniature tree that breaks each one once with the real config.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = path.join(root, 'tests/fixtures/layers');

interface Violation { rule: { name: string }; from: string; to: string }

describe('layer rules (.dependency-cruiser.cjs)', () => {
  it('reject each kind of forbidden import in tests/fixtures/layers and nothing else', () => {
    let stdout = '';
    try {
      stdout = execFileSync(
        process.execPath,
        [path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'src', 'bin',
          '--config', path.join(root, '.dependency-cruiser.cjs'), '--output-type', 'json'],
        { cwd: fixture, encoding: 'utf8' },
      );
    } catch (e) {
      stdout = (e as { stdout: string }).stdout; // depcruise exits with the number of errors
    }
    const violations = (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
    const found = violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    expect(found).toEqual([
      'cli-beside-the-workers: src/cli/run.ts → src/state/store.ts',
      'no-upward-from-engine: src/engine/upward.ts → src/state/store.ts',
      'only-bin-starts-the-cli: src/session/doc.ts → src/cli/run.ts',
      'ui-types-only-from-engine-and-worker-api: src/ui/Widget.svelte → src/engine/value.ts',
    ]);
  });
});
