// Runs before the browser tests: makes sure a Chromium is there. When none is found and this
// machine can install Debian's `chromium` without asking anyone (root, or passwordless sudo,
// and apt-get present), it does so with a one-line notice; otherwise it stops with the exact
// command to run. `npm test` then needs no other step on a fresh Debian or Ubuntu machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROME_PATH, chromeAvailable, MISSING_CHROME } from './chrome.mjs';

const APT_PACKAGE = 'chromium';

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** The prefix that runs apt-get as root without a prompt, or null when there is none. */
function rootPrefix() {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return [];
  if (hasCommand('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0) {
    return ['sudo', '-n'];
  }
  return null;
}

function installChromium(prefix) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => {
    const [cmd, ...rest] = [...prefix, ...args];
    execFileSync(cmd, rest, { stdio: ['ignore', 'ignore', 'inherit'], env });
  };
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', APT_PACKAGE]);
}

if (!chromeAvailable()) {
  // Only the default path is ours to fill: a CHROME_PATH someone set points at their own binary.
  const prefix = process.env.CHROME_PATH ? null : rootPrefix();
  if (prefix === null || !hasCommand('apt-get')) {
    console.error(MISSING_CHROME);
    console.error(`To install it: sudo apt-get update && sudo apt-get install -y ${APT_PACKAGE}`);
    process.exit(1);
  }
  console.log(`No Chromium at ${CHROME_PATH}: installing Debian's '${APT_PACKAGE}' with apt-get (headless WebGPU for the tests)…`);
  try {
    installChromium(prefix);
  } catch (err) {
    console.error(`Installing ${APT_PACKAGE} failed: ${err.message}`);
    console.error(MISSING_CHROME);
    process.exit(1);
  }
  if (!existsSync(CHROME_PATH)) {
    console.error(`apt-get installed ${APT_PACKAGE} but ${CHROME_PATH} is still missing.`);
    console.error(MISSING_CHROME);
    process.exit(1);
  }
}
