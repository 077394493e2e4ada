// Browser end-to-end against the live demo: the pipeline simulator scraped by a real Prometheus, the
// real plugin binary, the dev host serving dist/ and provisioning/ as Grafana does, headless Chromium.
// Usage: node tests/e2e/demo.e2e.mjs <dev host URL> <screenshot dir> <simulator URL>
import assert from 'node:assert/strict';
import { runScript } from './browser.mjs';

const [base, shots = 'target/e2e', simulator] = process.argv.slice(2);
const stages = ['kafka', 'nats', 'jangar', 'sse'];
// The config page's checks answer 400 on purpose below (settings the backend rejects), and Chromium
// logs each such answer as a console error too: only other problems count.
const expected400 = (p) => /HTTP 400 .*\/resources\/v1\/settings\/check$/.test(p) || /^console: Failed to load resource: .* 400 \(Bad Request\)$/.test(p);
await runScript({ shots, viewport: { width: 1400, height: 1400 }, forgiven: expected400 }, async ({ page, step }) => {
  await step('the provisioned dashboard shows the simulator\'s current act: only the stage it breaks is red', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability`);
    await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]', { timeout: 30_000 });
    const story = await (await fetch(`${simulator}/story`)).json();
    assert.ok(story.breaks, `the test starts inside an incident act, got ${JSON.stringify(story)}`);
    for (const id of stages) {
      const status = await page.getByTestId(`codex-flow-stage-${id}`).getAttribute('data-status');
      assert.equal(status, id === story.breaks ? 'warning' : 'ok', `${id} while the simulator plays "${story.act}"`);
    }
    const broken = await page.getByTestId(`codex-flow-stage-${story.breaks}`).innerText();
    assert.match(broken, /pending 2(\.\d)?K/, 'the headline carries the live value and its unit');
  });

  await step('the raw panels below draw the simulator\'s series from the provisioned datasource', async () => {
    for (const id of [2, 5, 6, 9]) {
      await page.locator(`[data-testid=raw-panel-series-${id}] polyline`).first().waitFor({ timeout: 20_000 });
    }
    await page.screenshot({ path: `${shots}/demo-dashboard.png` });
  });

  await step('the state strip remembers earlier acts from the backfilled hour', async () => {
    // The hour before holds a whole stretched loop, so every stage has been red at least once.
    for (const id of stages) {
      const fills = await page.locator(`[data-testid=codex-flow-strip-${id}] path`).evaluateAll((paths) => [...new Set(paths.map((r) => r.getAttribute('fill')))]);
      assert.ok(fills.length >= 2, `${id}'s strip shows an earlier incident besides ok (fills: ${fills})`);
    }
  });

  await step('clicking the red stage opens its drill-down; its raw panel opens full size and Back returns', async () => {
    await page.getByTestId('codex-flow-stage-nats').click();
    await page.getByTestId('codex-flow-drilldown').waitFor();
    await page.getByTestId('codex-flow-open-panel-5').click();
    await page.waitForURL(/viewPanel=5/);
    await page.getByTestId('raw-panel-series-5').waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('panel-10').count(), 0, 'only the viewed panel is shown');
    await page.screenshot({ path: `${shots}/demo-view-panel.png` });
    await page.getByTestId('back-to-dashboard').click();
    await page.getByTestId('codex-flow-stage-nats').waitFor();
    assert.doesNotMatch(page.url(), /viewPanel/);
    // Back where the panel was opened from: NATS' drill-down, from the URL's moment.
    await page.getByTestId('codex-flow-drilldown').waitFor();
    assert.equal(await page.getByTestId('codex-flow-drilldown').getAttribute('data-stage'), 'nats');
  });

  const app = 'proompteng-codexflow-app';
  // From the page, with its session: Grafana's API answers signed-in users only.
  const stored = async () => page.evaluate((id) => fetch(`/api/plugins/${id}/settings`).then((r) => r.json()), app);

  await step('the app\'s config page (Rust/WASM) shows the provisioned settings', async () => {
    await page.goto(`${base}/plugins/${app}`);
    await page.getByTestId('cfc-form').waitFor({ timeout: 30_000 });
    const before = await stored();
    assert.equal(await page.locator('#cfc-prometheus-url').inputValue(), before.jsonData.prometheusUrl);
    assert.equal(await page.locator('#cfc-interval').inputValue(), '15s');
    assert.match(await page.locator('#cfc-rules').inputValue(), /CodexKafkaCompletionsLagHigh/);
    assert.equal(await page.getByTestId('cfc-auth-none').isChecked(), true);
    // Provisioning replaces these settings at every Grafana start: the page says so beside Save.
    assert.match(await page.getByTestId('cfc-provisioned-note').innerText(), /applies that file again at every start/);
    await page.screenshot({ path: `${shots}/demo-config.png`, fullPage: true });
  });

  await step('a mistake found locally is marked at its field, focused, and nothing is saved', async () => {
    const before = await stored();
    await page.locator('#cfc-prometheus-url').fill('');
    await page.getByTestId('cfc-save').click();
    await page.locator('#cfc-prometheus-url-error').waitFor();
    assert.equal(await page.locator('#cfc-prometheus-url').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'cfc-prometheus-url');
    assert.deepEqual(await stored(), before);
  });

  await step('rules the backend rejects are marked at the rules field and the saved settings stay', async () => {
    const before = await stored();
    await page.locator('#cfc-prometheus-url').fill(before.jsonData.prometheusUrl);
    await page.locator('#cfc-rules').fill('groups:\n  - name: g\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m]) >\n');
    await page.getByTestId('cfc-save').click();
    await page.locator('#cfc-rules-error').waitFor();
    assert.match(await page.locator('#cfc-rules-error').innerText(), /Broken|expr|parse/i);
    assert.equal(await page.getByTestId('cfc-status').getAttribute('data-state'), 'failed');
    assert.deepEqual(await stored(), before);
  });

  await step('a bearer token is saved to secureJsonData, shown only as configured, never read back', async () => {
    await page.reload();
    await page.getByTestId('cfc-form').waitFor();
    await page.getByTestId('cfc-auth-bearer').check();
    await page.locator('#cfc-bearer-token').fill('tok-SECRET-4242');
    await page.getByTestId('cfc-save').click();
    await page.waitForSelector('[data-testid=cfc-status][data-state=ok]', { timeout: 20_000 });
    const after = await stored();
    assert.equal(after.secureJsonFields.bearerToken, true);
    assert.equal(after.jsonData.rulesYaml.includes('CodexKafkaCompletionsLagHigh'), true, 'the other settings are kept');
    assert.doesNotMatch(JSON.stringify(after), /tok-SECRET/);
    const meta = await page.evaluate(() => window.__appPlugin.meta);
    assert.equal(meta.secureJsonFields.bearerToken, true, 'Grafana\'s copy of the meta follows the save');
    assert.doesNotMatch(JSON.stringify(meta), /tok-SECRET/);
    await page.reload();
    await page.getByTestId('cfc-form').waitFor();
    assert.equal(await page.getByTestId('cfc-auth-bearer').isChecked(), true);
    assert.equal(await page.locator('#cfc-bearer-token').inputValue(), 'configured');
    assert.doesNotMatch(await page.content(), /tok-SECRET/);
  });

  await step('the flow panel keeps working with the saved settings', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability`);
    await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]', { timeout: 30_000 });
  });

  await step('Reset and "None" remove the stored token (keyboard only)', async () => {
    await page.goto(`${base}/plugins/${app}`);
    await page.getByTestId('cfc-form').waitFor();
    await page.getByTestId('cfc-bearer-token-reset').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('cfc-auth-none').focus();
    await page.keyboard.press('Space');
    await page.getByTestId('cfc-save').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=cfc-status][data-state=ok]', { timeout: 20_000 });
    assert.equal((await stored()).secureJsonFields.bearerToken, undefined);
  });

  await step('the config page follows the light theme', async () => {
    await page.goto(`${base}/plugins/${app}?theme=light`);
    await page.getByTestId('cfc-form').waitFor();
    const color = await page.locator('#cfc-title').evaluate((el) => getComputedStyle(el).color);
    assert.notEqual(color, 'rgb(204, 204, 220)', 'not the dark theme text colour');
    await page.screenshot({ path: `${shots}/demo-config-light.png` });
  });

});
