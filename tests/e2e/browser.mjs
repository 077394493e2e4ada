// What the browser end-to-end scripts share: Debian's Chromium launched the way these machines allow
// (never a downloaded browser), a page that records every error, failed request and HTTP error, and
// numbered steps, put together by `runScript`.
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A page whose problems (page errors, console errors, failed requests, HTTP >= 400) land in `problems`. */
export async function watchedPage(browser, problems, viewport) {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  // Requests the frontends abort themselves (a view closed, a newer one superseded them) are fine.
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
  return page;
}

/** Runs named steps, printing TAP-like lines; the first failure ends the run with exit code 1. */
export function stepper() {
  let passed = 0;
  return {
    async step(name, fn) {
      await fn();
      passed += 1;
      console.log(`ok - ${name}`);
    },
    done() {
      console.log(`${passed} passed, 0 failed`);
    },
    failed(e, problems) {
      console.error(`not ok - ${e.message}`);
      if (problems.length) console.error(problems.join('\n'));
      process.exitCode = 1;
    },
  };
}

/**
 * Checks that the page plays the Grafana its boot data names, with that Grafana's React in the shared
 * modules plugins get (`System.import('react')`): 19 from Grafana 13, 18 before. Prints both.
 */
export async function assertPlayedGrafana(page) {
  const { grafana, react } = await page.evaluate(async () => ({
    grafana: window.grafanaBootData.settings.buildInfo.version,
    react: (await System.import('react')).version,
  }));
  const expected = Number(grafana.split('.')[0]) >= 13 ? '19' : '18';
  assert.equal(react.split('.')[0], expected, `Grafana ${grafana} hands plugins React ${react}`);
  console.log(`# played Grafana ${grafana}, plugins got React ${react}`);
}

/**
 * Runs a script's steps on one watched page of `viewport`: the screenshot folder `shots` made,
 * Chromium launched, `steps({ page, step, problems })`, then the check that the page played the
 * host's Grafana and met no problems but those `forgiven` expects; TAP-like lines, exit code 1 on the
 * first failure, the browser closed in every case.
 */
export async function runScript({ shots, viewport, forgiven = () => false }, steps) {
  mkdirSync(shots, { recursive: true });
  const browser = await launch();
  const problems = [];
  const { step, done, failed } = stepper();
  try {
    const page = await watchedPage(browser, problems, viewport);
    await steps({ page, step, problems });
    await step('the page played the host\'s Grafana, with its React in the shared modules', () => assertPlayedGrafana(page));
    assert.deepEqual(problems.filter((p) => !forgiven(p)), [], 'no page errors, console errors or failed requests');
    done();
  } catch (e) {
    failed(e, problems);
  } finally {
    await browser.close();
  }
}
