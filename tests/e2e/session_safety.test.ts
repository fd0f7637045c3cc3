/**
 * Untrusted documents through the UI: bad files are refused with a clear message and leave the
 * open session exactly as it was; a shared note with HTML and a javascript: link runs nothing.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCell, createIdGenerator, createStarterSession, encodeShareLink, insertCell } from '../../src/session/index';
import { ROOT, downloadText, openApp, routeTinyModel, startAppServer, waitForModel, waitForPair, type AppServer } from './support/harness';

let app: AppServer;

beforeAll(async () => {
  app = await startAppServer();
});

afterAll(async () => {
  await app?.close();
});

const fixture = (name: string) => resolve(ROOT, 'tests/fixtures/sessions', name);

describe('untrusted documents', () => {
  it('refuses a malformed file and a future-version file with a clear error, leaving the open session unchanged', async () => {
    const context = await app.browser.newContext();
    await routeTinyModel(context);
    const { page, errors } = await openApp(context, `${app.baseUrl}/`);
    await waitForModel(page);
    await waitForPair(page);
    const before = await downloadText(page, () => page.getByTestId('export-session').click());

    const cases: [string, RegExp][] = [
      ['malformed_bad_json.json', /malformed_bad_json\.json.*not imported.*not valid JSON/s],
      ['malformed_future_version.json', /malformed_future_version\.json.*not imported.*newer Duelbook \(version 3\)/s],
      ['malformed_missing_field.json', /malformed_missing_field\.json.*not imported/s],
    ];
    for (const [name, message] of cases) {
      await page.getByTestId('import-file').setInputFiles(fixture(name));
      const notice = page.getByTestId('notice');
      await expect.poll(() => notice.getAttribute('data-kind')).toBe('error');
      await expect.poll(() => notice.innerText()).toMatch(message);
      const after = await downloadText(page, () => page.getByTestId('export-session').click());
      expect(after.text).toBe(before.text);
      await notice.getByRole('button', { name: 'Dismiss message' }).click();
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it('renders a shared note with HTML and a javascript: link as inert text', async () => {
    const nextId = createIdGenerator({ seed: 7 });
    const hostile = [
      '# Findings',
      '',
      '<img src=x onerror="window.__pwned=1">',
      '',
      '[x](javascript:alert(1)) and [y](JaVaScRiPt:window.__pwned=3) and [ok](https://example.com/page)',
      '',
      '<script>window.__pwned=2</script> ![pic](javascript:alert(4)) <javascript:alert(5)>',
    ].join('\n');
    const note = createCell('note', nextId, { title: 'Hostile note', config: { text: hostile } });
    const doc = insertCell(createStarterSession(nextId, { title: 'Shared with a note' }), note, 0);
    const link = await encodeShareLink(doc);
    if (link.tooLarge) throw new Error('the test session should fit in a link');

    const context = await app.browser.newContext();
    await routeTinyModel(context);
    const { page, errors } = await openApp(context, `${app.baseUrl}/${link.hash}`);
    const rendered = page.getByTestId('note-rendered');
    await rendered.waitFor();
    const text = await rendered.innerText();
    expect(text).toContain('<img src=x onerror="window.__pwned=1">');
    expect(text).toContain('<script>window.__pwned=2</script>');
    // Give an onerror or a script every chance to run.
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await rendered.locator('img, script').count()).toBe(0);
    const hrefs = await page.evaluate(() => [...document.querySelectorAll('[href]')].map((el) => el.getAttribute('href') ?? ''));
    expect(hrefs.filter((h) => /^\s*javascript:/i.test(h))).toEqual([]);
    expect(await rendered.locator('a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href')))).toEqual(['https://example.com/page']);
    expect(readFileSync(resolve(ROOT, 'index.html'), 'utf8')).toContain('Content-Security-Policy');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says clearly which files are missing when the default model has not been shipped', async () => {
    const context = await app.browser.newContext();
    await routeTinyModel(context);
    // What a dev server does for a file that is not there: answer with the app's HTML page.
    await context.route(/\/models\/default\/(config\.json|model\.safetensors)$/, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Duelbook</title>' }),
    );
    const { page, errors } = await openApp(context, `${app.baseUrl}/`);
    const error = page.getByTestId('policy-error');
    await error.waitFor({ timeout: 60_000 });
    await expect.poll(() => error.innerText()).toMatch(/default model is not there yet: config\.json and model\.safetensors are missing/);
    expect(await page.getByTestId('backend-label').count()).toBe(0);
    expect(await page.getByTestId('duel-status').innerText()).toMatch(/Load a model/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('offers the file instead of a link when the session is too large to share in a URL', async () => {
    const context = await app.browser.newContext();
    await routeTinyModel(context);
    const { page, errors } = await openApp(context, `${app.baseUrl}/`);
    await page.getByTestId('add-note').click();
    // Random text does not compress: 30 000 characters cannot fit in an 8 000-character link.
    let seed = 1;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const noise = Array.from({ length: 30_000 }, () => alphabet[(seed = (seed * 48271) % 2147483647) % alphabet.length]).join('');
    await page.getByTestId('note-editor').fill(noise);
    await page.getByTestId('note-editor').blur();
    await page.getByTestId('share-session').click();
    const panel = page.getByTestId('share-panel');
    await expect.poll(() => panel.innerText()).toMatch(/too large for a link .*links are capped at 8 000/s);
    expect(await page.getByTestId('share-url').count()).toBe(0);
    const file = await downloadText(page, () => panel.getByRole('button', { name: 'Export the file' }).click());
    expect(file.text).toContain(noise.slice(0, 100));
    expect(errors).toEqual([]);
    await context.close();
  });
});
