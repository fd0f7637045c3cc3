#!/usr/bin/env node
// `npm run bench`: runs the TypeScript harness in bench/ through tsx (no build step).
// Options: --quick, --smoke, --cases, --model, --out, --ort-threads, --verbose (see bench/main.ts).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bench/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Vite and Playwright are closed by now; if a stray handle keeps the loop alive, leave anyway.
setTimeout(() => process.exit(code), 3000).unref();
