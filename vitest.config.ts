import { defineConfig, mergeConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import viteConfig from './vite.config.ts';
import { CHROME_PATH, CHROME_ARGS } from './scripts/chrome.mjs';

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      reporters: ['default', './tests/support/count-reporter.ts'],
      projects: [
        {
          extends: true,
          test: {
            name: 'node',
            include: ['tests/unit/**/*.test.ts'],
            environment: 'node',
            testTimeout: 120_000,
          },
        },
        {
          // Whole-app tests: Playwright drives headless Chromium against a real Vite server.
          extends: true,
          test: {
            name: 'e2e',
            include: ['tests/e2e/**/*.test.ts'],
            environment: 'node',
            testTimeout: 300_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
        {
          extends: true,
          test: {
            name: 'browser',
            include: ['tests/browser/**/*.test.ts'],
            testTimeout: 300_000,
            // SwiftShader is single-device and slow: one file at a time keeps timings sane.
            fileParallelism: false,
            browser: {
              enabled: true,
              headless: true,
              provider: playwright({
                launchOptions: { executablePath: CHROME_PATH, args: CHROME_ARGS },
              }),
              instances: [{ browser: 'chromium' }],
            },
          },
        },
      ],
    },
  }),
);
