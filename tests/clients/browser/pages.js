// Headless Chromium (Debian's `chromium`, driven by playwright-core) walks
// the gateway's pages as a new user would: the endpoint page, a click on
// Login, the form filled and invoked against the running gateway. Prints a
// JSON report for test_pages_chromium.py and saves screenshots.
//
//   node browser/pages.js CONFIG.json
// CONFIG: {"endpoint": "http://127.0.0.1:PORT/v4.1/prod/ECGridOS.asmx",
//          "login": "demo", "password": "...", "shots": "/abs/dir",
//          "chromium": "/usr/bin/chromium"}
// Any failure (Chromium missing or unable to start included) exits non-zero.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const STEP_TIMEOUT_MS = 15000;

async function main() {
  const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  fs.mkdirSync(config.shots, { recursive: true });
  // playwright-core passes --no-sandbox itself (its chromiumSandbox default),
  // which Chromium needs as root.
  const args = ['--disable-gpu', '--no-first-run', '--disable-background-networking'];
  const browser = await chromium.launch({
    executablePath: config.chromium,
    headless: true,
    args,
    timeout: 60000,
  });
  const report = { requests: [] };
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    // Only the gateway may be reached: anything else is recorded and refused.
    const origin = new URL(config.endpoint).origin;
    await page.route('**/*', (route) => {
      const url = route.request().url();
      report.requests.push(url);
      return url.startsWith(origin) ? route.continue() : route.abort();
    });

    const root = await page.goto(origin + '/');
    report.rootUrl = page.url();
    report.rootStatus = root.status();
    report.title = await page.title();
    report.operations = await page.locator('td.op a').allTextContents();
    report.fontFamily = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
    await page.screenshot({ path: path.join(config.shots, 'endpoint.png'), fullPage: false });

    await page.locator('td.op a', { hasText: /^Login$/ }).click();
    await page.waitForSelector('h1');
    report.loginUrl = page.url();
    report.loginHeading = await page.locator('h1').textContent();
    report.samples = await page.locator('pre:not(#answer)').count();

    await page.fill('#p-LoginName', config.login);
    await page.fill('#p-Password', config.password);
    await page.click('#invoke');
    await page.waitForSelector('#answer[data-status]');
    report.answerStatus = await page.locator('#answer').getAttribute('data-status');
    report.answer = await page.locator('#answer').textContent();
    await page.locator('#answer').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(config.shots, 'login.png'), fullPage: true });
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + '\n');
  process.exit(1);
});
