/**
 * The webmail in a real browser: headless Chromium (Debian's package, driven by
 * playwright-core) signs in through the form, opens a message from the inbox and signs
 * out. Screenshots go to a temporary folder that is removed afterwards, or to
 * $HYGIE_SCREENSHOT_DIR, kept, for a person to look at.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { rawMessage, startWebmail } from './testing.js';

/** The page's own function, run inside the browser by `evaluate` (this project compiles without DOM types). */
declare const getComputedStyle: (element: unknown) => { fontWeight: string; backgroundColor: string };

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) to run the browser test`;

test('a doctor signs in, opens a message from the inbox, reads it and signs out', { skip, timeout: 60_000 }, async () => {
  const fx = await startWebmail();
  const keep = process.env.HYGIE_SCREENSHOT_DIR;
  const shots = keep ?? await mkdtemp(path.join(tmpdir(), 'hygie-webmail-shots-'));
  if (keep) await mkdir(keep, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    await fx.deliver(rawMessage({ subject: 'Bilan sanguin de Mme R.', date: 'Mon, 23 Nov 2026 17:38:00 +0100', from: 'Laboratoire Biolab <noreply-biologie@biolab.mssante.test>', body: 'Bilan dans les normes.' }), fx.user.mailboxId, new Date('2026-11-23T16:40:00Z'));
    await fx.deliver(rawMessage({
      subject: "Compte rendu d'échographie", date: 'Tue, 24 Nov 2026 10:15:00 +0100',
      cc: 'Secrétariat de cardiologie <cardiologie@esante-demo.test>',
      body: 'Chère consœur,\n\nÉchographie abdominale réalisée ce jour : foie de taille normale, sans lésion focale.\nVésicule alithiasique.\n\nBien confraternellement,\nDr Paul Martin',
    }), fx.user.mailboxId, new Date('2026-11-24T09:15:00Z'));

    const page = await browser.newPage({ viewport: { width: 1100, height: 700 }, locale: 'fr-FR' });
    const problems: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(fx.baseUrl + '/');
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.screenshot({ path: path.join(shots, 'login.png') });
    await page.getByLabel('Identifiant').fill(fx.user.login);
    await page.getByLabel('Mot de passe').fill(fx.user.password);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL('**/inbox');
    const unread = page.locator('tr.unread');
    assert.equal(await unread.count(), 2);
    assert.equal(await unread.first().locator('td').first().evaluate((cell) => getComputedStyle(cell).fontWeight), '700', 'unread in bold');
    assert.equal(await page.locator('.site-header').evaluate((header) => getComputedStyle(header).backgroundColor), 'rgb(23, 70, 126)', 'stylesheet applied');
    await page.screenshot({ path: path.join(shots, 'inbox.png'), fullPage: true });

    await page.getByRole('link', { name: "Compte rendu d'échographie" }).click();
    await page.waitForURL(/\/message\/\d+$/);
    const body = page.getByText('Échographie abdominale réalisée ce jour');
    await body.waitFor({ state: 'visible' });
    assert.ok(await body.isVisible());
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), "Compte rendu d'échographie");
    const file = path.join(shots, 'message.png');
    await page.screenshot({ path: file, fullPage: true });
    assert.ok((await stat(file)).size > 10_000, 'a real screenshot was written');

    await page.getByRole('link', { name: /Retour à la boîte de réception/ }).click();
    await page.waitForURL('**/inbox');
    assert.equal(await page.locator('tr.unread').count(), 1, 'the message read is no longer unread');

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL('**/login?signedout=1');
    await page.getByText('Vous êtes déconnecté.').waitFor({ state: 'visible' });
    assert.deepEqual(problems, [], 'no console errors (CSP violations would show here)');
  } finally {
    await browser.close();
    await fx.close();
    if (!keep) await rm(shots, { recursive: true, force: true });
  }
});
