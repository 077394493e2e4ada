// Browser end-to-end: the built panel (module.js through SystemJS/AMD with the real @grafana/data and
// @grafana/runtime, the .wasm) in headless Chromium, against the real plugin binary and a real Prometheus
// behind the dev host. Usage: node tests/e2e/panel.e2e.mjs <dev host URL> <screenshot dir>
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { launch, watchedPage, stepper } from './browser.mjs';

const [base, shots = 'target/e2e'] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const browser = await launch();
const problems = [];
const { step, done, failed } = stepper();
try {
  const page = await watchedPage(browser, problems, { width: 1400, height: 900 });

  await step('the dashboard loads the flow panel through SystemJS and its .wasm', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=`);
    await page.getByTestId('codex-flow-stage-kafka').waitFor({ timeout: 30_000 });
  });

  await step('module.js exports a real PanelPlugin whose options build in Grafana\'s editor builder', async () => {
    const paths = await page.evaluate(async () => {
      const { plugin } = await System.import('/public/plugins/proompteng-codexflow-app/panel/module.js');
      const data = window.__grafanaData;
      if (!(plugin instanceof data.PanelPlugin)) throw new Error('not a PanelPlugin from @grafana/data');
      const builder = new data.PanelOptionsEditorBuilder();
      plugin.getPanelOptionsSupplier()(builder, { data: [] });
      return builder.getItems().map((item) => item.path);
    });
    assert.deepEqual(paths, ['stagePanels', 'showSparklines', 'showEdgeRates', 'direction', 'interval']);
  });

  await step('the app\'s module.js loads through SystemJS and exports an AppPlugin', async () => {
    const ok = await page.evaluate(async () => {
      const { plugin } = await System.import('/public/plugins/proompteng-codexflow-app/module.js');
      return plugin instanceof window.__grafanaData.AppPlugin;
    });
    assert.equal(ok, true);
  });

  await step('stages show the story\'s current health', async () => {
    const status = (id) => page.getByTestId(`codex-flow-stage-${id}`).getAttribute('data-status');
    await page.waitForSelector('[data-testid=codex-flow-stage-kafka][data-status=critical]', { timeout: 20_000 });
    assert.equal(await status('nats'), 'warning');
    assert.equal(await status('jangar'), 'ok');
    assert.equal(await status('sse'), 'ok');
    const kafka = await page.getByTestId('codex-flow-stage-kafka').innerText();
    assert.match(kafka, /lag 2(\.\d)?K/);
    await page.screenshot({ path: `${shots}/dashboard.png` });
  });

  await step('the dashboard\'s Refresh reaches the panel (RefreshEvent) and it fetches again', async () => {
    // An absolute time range: Refresh cannot move "now", so only RefreshEvent can cause the fetch.
    const now = Date.now();
    await page.goto(`${base}/d/codex-pipeline-observability?from=${now - 7_200_000}&to=${now}&refresh=`);
    await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]');
    let evaluations = 0;
    const count = (r) => { if (r.url().endsWith('/resources/v1/evaluate')) evaluations += 1; };
    page.on('request', count);
    // Listen before clicking: a fast answer could otherwise arrive before the wait starts.
    const answered = page.waitForResponse((r) => r.url().endsWith('/resources/v1/evaluate'));
    await page.getByTestId('refresh').click();
    await answered;
    await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]');
    page.off('request', count);
    assert.equal(evaluations, 1, 'one refresh, one evaluation');
  });

  await step('hovering a stage lists its alerts with reasons', async () => {
    await page.getByTestId('codex-flow-stage-kafka').hover();
    const tip = page.getByRole('tooltip');
    await tip.waitFor();
    const text = await tip.innerText();
    assert.match(text, /CodexKafkaCompletionsLagCritical/);
    assert.match(text, /firing/i);
  });

  await step('rules no stage can be decided for are listed as other alerts, by keyboard too', async () => {
    const others = page.getByTestId('codex-flow-other-alerts');
    await others.waitFor();
    assert.equal(await others.locator('summary').innerText(), 'Other alerts: 2 · 1 firing · 0 pending');
    // The absent disk metric makes that rule unable to fire: the strip says no data, not ok.
    assert.equal(await others.getAttribute('data-status'), 'nodata');
    assert.equal(await others.evaluate((d) => d.open), false);
    await others.locator('summary').focus();
    await page.keyboard.press('Enter');
    assert.equal(await others.evaluate((d) => d.open), true);
    const watchdog = await others.locator('[data-alert=Watchdog]').innerText();
    assert.match(watchdog, /firing/i);
    const disk = await others.locator('[data-alert=DiskAlmostFull]').innerText();
    assert.match(disk, /node_filesystem_avail_bytes/);
    await page.screenshot({ path: `${shots}/other-alerts.png` });
    await page.keyboard.press('Enter');
    assert.equal(await others.evaluate((d) => d.open), false);
  });

  await step('clicking the critical stage opens the drill-down with raw panel links', async () => {
    await page.getByTestId('codex-flow-stage-kafka').click();
    const drill = page.getByTestId('codex-flow-drilldown');
    await drill.waitFor();
    await page.getByTestId('codex-flow-open-panel-1').waitFor();
    await drill.locator('.cf-chart svg').first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: `${shots}/drilldown.png` });
  });

  await step('a raw-panel link opens that panel (viewPanel) and Back returns', async () => {
    await page.getByTestId('codex-flow-open-panel-2').click();
    await page.waitForURL(/viewPanel=2/);
    await page.getByTestId('panel-2').waitFor();
    await page.getByTestId('raw-panel-series-2').waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('panel-10').count(), 0, 'only the viewed panel is shown');
    await page.screenshot({ path: `${shots}/view-panel.png` });
    await page.getByTestId('back-to-dashboard').click();
    await page.getByTestId('codex-flow-stage-kafka').waitFor();
    assert.doesNotMatch(page.url(), /viewPanel/);
  });

  await step('keyboard: Tab reaches a stage and Enter opens it', async () => {
    await page.getByTestId('codex-flow-stage-kafka').waitFor();
    await page.getByTestId('codex-flow-stage-nats').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('codex-flow-drilldown').waitFor({ timeout: 5_000 });
  });

  await step('keyboard: Escape closes the drill-down', async () => {
    await page.keyboard.press('Escape');
    await page.getByTestId('codex-flow-drilldown').waitFor({ state: 'detached', timeout: 5_000 });
  });

  await step('template variables in the panel options reach the backend ($eval_interval = 30s)', async () => {
    const asked = page.waitForRequest((r) => r.url().endsWith('/resources/v1/evaluate') && r.method() === 'POST');
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=&var-eval_interval=30s`);
    const body = JSON.parse((await asked).postData());
    assert.equal(body.intervalMs, 30000);
    await page.getByTestId('codex-flow-stage-kafka').waitFor();
  });

  await step('the older nested-plugin path and the light theme work too', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=&legacyPaths=1&theme=light`);
    await page.waitForSelector('[data-testid=codex-flow-stage-kafka][data-status=critical]', { timeout: 30_000 });
    await page.screenshot({ path: `${shots}/dashboard-light.png` });
  });

  assert.deepEqual(problems, [], 'no page errors, console errors or failed requests');
  done();
} catch (e) {
  failed(e, problems);
} finally {
  await browser.close();
}
