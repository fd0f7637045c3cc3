// Where the tests find Chromium, and the flags that give headless WebGPU on a machine without
// a GPU (SwiftShader). One place, shared by Vitest's browser mode, the e2e tests and the bench.
import { existsSync } from 'node:fs';

export const CHROME_PATH = process.env.CHROME_PATH || '/usr/bin/chromium';

export const CHROME_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];

export const MISSING_CHROME =
  `No Chromium found at ${CHROME_PATH}. Set CHROME_PATH to a Chromium or Chrome binary ` +
  `(default /usr/bin/chromium; on Debian: apt-get install -y chromium).`;

export function chromeAvailable() {
  return existsSync(CHROME_PATH);
}
