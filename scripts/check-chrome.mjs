import { chromeAvailable, MISSING_CHROME } from './chrome.mjs';
if (!chromeAvailable()) {
  console.error(MISSING_CHROME);
  process.exit(1);
}
