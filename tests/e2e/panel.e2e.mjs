// Browser end-to-end: the built panel (module.js through SystemJS/AMD with the real @grafana/data and
// @grafana/runtime, the .wasm) in headless Chromium, against the real plugin binary and a real Prometheus
// behind the dev host. Usage: node tests/e2e/panel.e2e.mjs <dev host URL> <screenshot dir> <refusing host URL>
// (the last: the same package behind a host whose allow_loading_unsigned_plugins lists the app only).
import assert from 'node:assert/strict';
import { runScript } from './browser.mjs';

const [base, shots = 'target/e2e', refusing] = process.argv.slice(2);
await runScript({ shots, viewport: { width: 1400, height: 900 } }, async ({ page, step, problems }) => {
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
    assert.deepEqual(paths, ['stagePanels', 'showSparklines', 'showEdgeRates', 'direction', 'interval', 'changeTags']);
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

  await step('props that change while the .wasm loads are not lost: the first evaluation uses the latest range', async () => {
    // Hold the .wasm back, change the time range meanwhile, then let it load.
    let release;
    const held = new Promise((r) => { release = r; });
    await page.route('**/codexflow_panel_bg.wasm', async (route) => { await held; await route.continue(); });
    const asked = page.waitForRequest((r) => r.url().endsWith('/resources/v1/evaluate'));
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=`);
    await page.waitForRequest((r) => r.url().endsWith('codexflow_panel_bg.wasm'));
    await page.getByRole('combobox', { name: 'Time range' }).selectOption('now-6h');
    await page.waitForURL(/from=now-6h/);
    release();
    const body = JSON.parse((await asked).postData());
    await page.unroute('**/codexflow_panel_bg.wasm');
    assert.ok(Math.abs(body.to - body.from - 6 * 3_600_000) < 60_000, `evaluated ${(body.to - body.from) / 3_600_000} h, not the 6 h chosen while loading`);
    await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]', { timeout: 20_000 });
  });

  await step('Refresh reaches the panel as Scenes delivers it (a new, equal timeRange; no RefreshEvent on its bus)', async () => {
    // An absolute time range: Refresh cannot move "now"; only the new timeRange object says "again".
    const now = Date.now();
    await page.goto(`${base}/d/codex-pipeline-observability?from=${now - 7_200_000}&to=${now}&refresh=`);
    await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]');
    let evaluations = 0;
    const count = (r) => { if (r.url().endsWith('/resources/v1/evaluate')) evaluations += 1; };
    page.on('request', count);
    for (let i = 1; i <= 2; i += 1) {
      // Listen before clicking: a fast answer could otherwise arrive before the wait starts.
      const answered = page.waitForResponse((r) => r.url().endsWith('/resources/v1/evaluate'));
      await page.getByTestId('refresh').click();
      await answered;
      await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]');
      assert.equal(evaluations, i, 'one refresh, one evaluation');
    }
    // A resize re-renders the panel with the same timeRange object: no evaluation.
    await page.setViewportSize({ width: 1300, height: 900 });
    await page.waitForTimeout(500);
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.waitForTimeout(500);
    page.off('request', count);
    assert.equal(evaluations, 2, 'a resize is not a refresh');
  });

  // Answers a step provokes on purpose, and Chromium's console line for each, are not problems.
  const forgive = (pattern) => {
    for (let i = problems.length - 1; i >= 0; i -= 1) if (pattern.test(problems[i])) problems.splice(i, 1);
  };

  await step('an expired session: Grafana\'s backendSrv rotates it and retries, and the panel keeps its data', async () => {
    const now = Date.now();
    await page.goto(`${base}/d/codex-pipeline-observability?from=${now - 7_200_000}&to=${now}&refresh=`);
    await page.waitForSelector('[data-testid=codex-flow-stage-kafka][data-status=critical]', { timeout: 20_000 });
    const rotations = async () => (await page.evaluate(() => fetch('/api/devhost/rotations').then((r) => r.json()))).rotations;
    const before = await rotations();
    await page.evaluate(() => fetch('/api/devhost/expire-session', { method: 'POST' }));
    const answers = [];
    let evaluationRefused;
    const refused = new Promise((resolve) => { evaluationRefused = resolve; });
    const watch = (r) => {
      if (!r.url().endsWith('/resources/v1/evaluate')) return;
      answers.push(r.status());
      if (r.status() === 401) evaluationRefused();
    };
    page.on('response', watch);
    // The raw panels' and the data source's queries go out (unchanged) only once the panel's own call
    // has met the expired session: otherwise one of theirs may rotate the session first, and the
    // panel's call, sent a moment later, never meets it. At most 10 s: a panel that never calls
    // fails the check below, not a hang.
    const raw = /\/api\/(datasources\/proxy|ds\/query)/;
    const hold = async (route) => {
      await Promise.race([refused, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      await route.continue();
    };
    await page.route(raw, hold);
    const ok = page.waitForResponse((r) => r.url().endsWith('/resources/v1/evaluate') && r.status() === 200);
    await page.getByTestId('refresh').click();
    await ok;
    await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]');
    page.off('response', watch);
    await page.unroute(raw, hold);
    assert.deepEqual(answers, [401, 200], 'one refused call, rotated, retried once');
    // The data source's queries (the State timeline, the annotations) are refused too; a call refused while
    // a rotation is in flight shares it, one answered after it rotates again.
    const rotated = (await rotations()) - before;
    assert.ok(rotated >= 1 && rotated <= 3, `${rotated} rotations`);
    assert.equal(await page.getByTestId('codex-flow-stage-kafka').getAttribute('data-status'), 'critical');
    forgive(/401/);
  });

  await step('each tab\'s calls carry its own org (X-Grafana-Org-Id), whatever org another tab switched the session to', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=`);
    await page.waitForSelector('[data-testid=codex-flow-stage-kafka][data-status=critical]', { timeout: 20_000 });
    // Another tab switches the session to org 2, where the app was never configured.
    assert.equal(await page.evaluate(() => fetch('/api/user/using/2', { method: 'POST' }).then((r) => r.status)), 200);
    const asked = page.waitForRequest((r) => r.url().endsWith('/resources/v1/evaluate'));
    const answered = page.waitForResponse((r) => r.url().endsWith('/resources/v1/evaluate'));
    await page.getByTestId('refresh').click();
    assert.equal((await asked).headers()['x-grafana-org-id'], '1');
    assert.equal((await answered).status(), 200);
    await page.waitForSelector('[data-testid=codex-flow-stage-kafka][data-status=critical]');
    // A page opened in org 2 acts in org 2, where the app has no settings.
    await page.goto(`${base}/d/codex-pipeline-observability?orgId=2&from=now-2h&to=now&refresh=`);
    const panel = page.locator('[data-testid=codex-flow-panel][data-state=unconfigured]');
    await panel.waitFor({ timeout: 20_000 });
    const text = await panel.textContent();
    assert.match(text, /Codex Flow is not configured/);
    assert.match(text, /prometheusUrl/);
    await page.goto(`${base}/d/codex-pipeline-observability?orgId=1&from=now-2h&to=now&refresh=`);
    await page.waitForSelector('[data-testid=codex-flow-stage-kafka][data-status=critical]', { timeout: 20_000 });
    forgive(/HTTP 503 .*\/resources\/|status of 503/);
  });

  await step('hovering a stage lists its alerts with reasons', async () => {
    await page.getByTestId('codex-flow-stage-kafka').hover();
    const tip = page.getByRole('tooltip');
    await tip.waitFor();
    const text = await tip.innerText();
    assert.match(text, /CodexKafkaCompletionsLagCritical/);
    assert.match(text, /firing/i);
    // The rule's summary as Prometheus expands it, who owns it, and where its runbook is.
    const summaries = await tip.getByTestId('codex-flow-tooltip-summary').allInnerTexts();
    assert.ok(summaries.some((t) => /^Kafka completions lag is \d+(\.\d+)?k messages$/.test(t)), summaries.join(' | '));
    assert.ok(summaries.includes('Kafka consumer group jangar-codex-completions is more than 1000 messages behind'), 'the shipped rule\'s summary');
    assert.match(text, /team data-platform/);
    assert.match(text, /Runbook in the details/);
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

  await step('the drill-down gives the alert\'s summary, description, owner and a runbook button', async () => {
    const drill = page.getByTestId('codex-flow-drilldown');
    const summaries = await drill.getByTestId('codex-flow-summary').allInnerTexts();
    assert.ok(summaries.some((t) => /^Kafka completions lag is \d+(\.\d+)?k messages$/.test(t)), summaries.join(' | '));
    const text = await drill.innerText();
    assert.match(text, /Consumer group jangar-codex-completions is \d+ messages behind\.\nDrain it before the topic's retention\./);
    assert.doesNotMatch(text, /\{\{/, 'every template expanded');
    assert.equal(await drill.getByTestId('codex-flow-owner').innerText(), 'team data-platform');
    const runbook = drill.getByTestId('codex-flow-runbook');
    assert.equal(await runbook.count(), 1, 'one alert has a runbook');
    assert.equal(await runbook.getAttribute('href'), 'https://runbooks.example/codex#kafka-lag');
    assert.equal(await runbook.getAttribute('target'), '_blank');
    assert.match(await runbook.getAttribute('rel'), /noopener/);
    await runbook.focus();
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'codex-flow-runbook', 'reachable by keyboard');
    await runbook.scrollIntoViewIfNeeded();
    await drill.screenshot({ path: `${shots}/runbook-drilldown-dark.png` });
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=&theme=light`);
    await page.getByTestId('codex-flow-stage-kafka').click();
    await page.getByTestId('codex-flow-runbook').waitFor({ timeout: 20_000 });
    await page.getByTestId('codex-flow-runbook').scrollIntoViewIfNeeded();
    await page.getByTestId('codex-flow-drilldown').screenshot({ path: `${shots}/runbook-drilldown-light.png` });
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=`);
    await page.getByTestId('codex-flow-stage-kafka').click();
    await page.getByTestId('codex-flow-open-panel-2').waitFor({ timeout: 20_000 });
  });

  await step('changes (annotations of the dashboard, and with the option\'s tags) are markers on the strips and charts', async () => {
    // Recorded as a team's CD would: through Grafana's annotations API with the session.
    const now = Date.now();
    const created = await page.evaluate(async (now) => {
      const post = (body) => fetch('/api/annotations', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.status);
      return Promise.all([
        post({ dashboardUID: 'codex-pipeline-observability', time: now - 30 * 60_000, text: 'Deploy jangar v1.42', tags: ['release'] }),
        post({ time: now - 60 * 60_000, text: 'Raise NATS max_ack_pending', tags: ['config'] }),
        post({ time: now - 45 * 60_000, text: 'Unrelated team change', tags: ['other'] }),
      ]);
    }, now);
    assert.deepEqual(created, [200, 200, 200]);
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=`);
    const strips = page.locator('.cf-changes [data-testid=codex-flow-change]');
    await strips.nth(1).waitFor({ timeout: 20_000 });
    const texts = await strips.evaluateAll((els) => els.map((e) => e.dataset.text));
    assert.equal(texts.length, 2, texts.join(' | '));
    assert.match(texts[0], /Raise NATS max_ack_pending \[config\]$/, 'oldest first, an org change with the option\'s tag');
    assert.match(texts[1], /Deploy jangar v1\.42 \[release\]$/, 'the dashboard\'s own');
    // Its text on hover, and on focus by keyboard.
    const deploy = strips.nth(1);
    await deploy.hover();
    assert.match(await deploy.evaluate((e) => getComputedStyle(e, '::after').content), /Deploy jangar v1\.42/);
    await page.mouse.move(0, 0);
    await deploy.focus();
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.text?.includes('Deploy jangar')), true);
    assert.match(await deploy.evaluate((e) => getComputedStyle(e, '::after').content), /Deploy jangar v1\.42/);
    assert.match(await deploy.getAttribute('aria-label'), /Deploy jangar v1\.42/);
    // Placed at its instant: 30 minutes before the end of a 2-hour strip is three quarters along.
    const [box, area] = await Promise.all([deploy.boundingBox(), page.locator('.cf-changes').boundingBox()]);
    const along = (box.x + box.width / 2 - area.x) / area.width;
    assert.ok(Math.abs(along - 0.75) < 0.02, `at ${along}`);
    await page.getByTestId('codex-flow-panel').screenshot({ path: `${shots}/changes-strips-dark.png` });
    await page.getByTestId('codex-flow-stage-kafka').click();
    const charts = page.locator('.cf-chart');
    await charts.first().locator('svg').waitFor({ timeout: 20_000 });
    assert.equal(await charts.first().getByTestId('codex-flow-change').count(), 2, 'on each drill-down chart too');
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=&theme=light`);
    await strips.nth(1).waitFor({ timeout: 20_000 });
    await strips.nth(1).focus();
    await page.getByTestId('codex-flow-panel').screenshot({ path: `${shots}/changes-strips-light.png` });
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=`);
    await page.getByTestId('codex-flow-stage-kafka').click();
    await page.getByTestId('codex-flow-open-panel-2').waitFor({ timeout: 20_000 });
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
    // Back where the panel was opened from: the drill-down is in the URL's moment.
    await page.getByTestId('codex-flow-drilldown').waitFor();
    await page.getByTestId('codex-flow-open-panel-2').waitFor();
  });

  await step('a link as Scenes writes it (viewPanel=panel-2) opens the same panel as the bare id the panel writes', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=&viewPanel=panel-2`);
    await page.getByTestId('raw-panel-series-2').waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('panel-10').count(), 0, 'only the viewed panel is shown');
    await page.getByTestId('back-to-dashboard').click();
    await page.getByTestId('codex-flow-stage-kafka').waitFor();
    await page.getByTestId('codex-flow-stage-kafka').click();
    await page.getByTestId('codex-flow-open-panel-2').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('codex-flow-drilldown').waitFor({ state: 'detached', timeout: 20_000 });
  });

  await step('keyboard: Tab reaches a stage and Enter opens it', async () => {
    await page.getByTestId('codex-flow-stage-kafka').waitFor();
    await page.getByTestId('codex-flow-stage-nats').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('codex-flow-drilldown').waitFor({ timeout: 20_000 });
  });

  await step('keyboard: Escape closes the drill-down', async () => {
    await page.keyboard.press('Escape');
    await page.getByTestId('codex-flow-drilldown').waitFor({ state: 'detached', timeout: 20_000 });
  });

  await step('template variables in the panel options reach the backend ($eval_interval = 30s)', async () => {
    const asked = page.waitForRequest((r) => r.url().endsWith('/resources/v1/evaluate') && r.method() === 'POST');
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=&var-eval_interval=30s`);
    const body = JSON.parse((await asked).postData());
    assert.equal(body.intervalMs, 30000);
    await page.getByTestId('codex-flow-stage-kafka').waitFor();
  });

  // The team's dashboard, and the same stored as schema v2 as Grafana 13 stores it (the legacy API answers 406).
  for (const uid of ['team-codex', 'team-codex-v2']) await step(`a team's own dashboard (${uid}): each stage finds its raw panels by what they query, named as there; each opens and Back returns`, async () => {
    const expected = {
      kafka: [[31, /^Open “Completions backlog” ↗$/], [32, /^Open “Completions in” ↗$/]],
      nats: [[40, /^Open “Agent comms waiting” ↗$/], [41, /^Open “Stream growth” ↗$/]],
      jangar: [[50, /^Open “Inserts per second” ↗$/]],
      sse: [[60, /^Open “SSE errors \(.*chat.*\)” ↗$/]],
    };
    // Which versions of the dashboard resource API were read (the page: v1beta1; the panel: the stored one).
    const versions = new Set();
    const listen = (r) => { const m = r.url().match(/\/apis\/dashboard\.grafana\.app\/([^/]+)\//); if (m) versions.add(m[1]); };
    page.on('request', listen);
    for (const [stage, panels] of Object.entries(expected)) {
      await page.goto(`${base}/d/${uid}?from=now-2h&to=now&refresh=`);
      await page.getByTestId(`codex-flow-stage-${stage}`).click();
      await page.getByTestId('codex-flow-drilldown').waitFor();
      for (const [id, title] of panels) {
        const link = page.getByTestId(`codex-flow-open-panel-${id}`);
        await link.waitFor({ timeout: 20_000 });
        assert.match(await link.innerText(), title);
      }
      const links = await page.locator('[data-testid^=codex-flow-open-panel-]').count();
      assert.equal(links, panels.length, `${stage}: only its own panels`);
      const [first] = panels[0];
      await page.getByTestId(`codex-flow-open-panel-${first}`).click();
      await page.waitForURL(new RegExp(`viewPanel=${first}`));
      await page.getByTestId(`raw-panel-series-${first}`).waitFor({ timeout: 20_000 });
      await page.getByTestId('back-to-dashboard').click();
      await page.getByTestId(`codex-flow-stage-${stage}`).waitFor();
    }
    // Added with "options": {}, the flow panel still got every default, as Grafana merges them.
    const options = await page.evaluate(() => window.__panelOptions[21]);
    assert.deepEqual(options, { stagePanels: '', showSparklines: true, showEdgeRates: true, direction: 'lr', interval: '', changeTags: '' });
    await page.screenshot({ path: `${shots}/${uid}.png` });
    page.off('request', listen);
    if (uid === 'team-codex-v2') {
      // The panel read the version the 406 named: what the played Grafana stores (v2 from 13, v2beta1 in 12).
      const grafana = await page.evaluate(() => window.grafanaBootData.settings.buildInfo.version);
      const stored = Number(grafana.split('.')[0]) >= 13 ? 'v2' : 'v2beta1';
      assert.deepEqual([...versions].sort(), ['v1beta1', stored].sort(), `Grafana ${grafana}: the resource versions read`);
      // The legacy API refused it as Grafana 13 does (the page and the panel then read /apis/…): provoked, not a problem.
      const refused = /^HTTP 406 .*\/api\/dashboards\/uid\/team-codex-v2$/;
      assert.ok(problems.some((p) => refused.test(p)), 'the legacy dashboard API answered 406');
      forgive(refused);
      forgive(/^console: Failed to load resource: the server responded with a status of 406/);
    }
  });

  await step('the options editor shows what the automatic mapping found', async () => {
    const lines = await page.evaluate(async () => {
      const { plugin } = await System.import('/public/plugins/proompteng-codexflow-app/panel/module.js');
      const builder = new window.__grafanaData.PanelOptionsEditorBuilder();
      plugin.getPanelOptionsSupplier()(builder, { data: [] });
      const item = builder.getItems().find((i) => i.path === 'stagePanels');
      const el = document.createElement('div');
      document.body.appendChild(el);
      window.__renderInto(el, item.editor, { value: '', onChange: () => {}, item, context: { data: [], instanceState: window.__instanceState[21] } });
      // The editor lists what it found once the panel map is read: wait for the list, not a fixed time.
      for (const deadline = Date.now() + 20_000; !el.querySelector('li') && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const out = [...el.querySelectorAll('li')].map((li) => li.textContent);
      el.remove();
      return out;
    });
    assert.deepEqual(lines.slice(0, 3), [
      'kafka → Completions backlog (#31), Completions in (#32)',
      'nats → Agent comms waiting (#40), Stream growth (#41)',
      'jangar → Inserts per second (#50)',
    ]);
    assert.match(lines[3], /^sse → SSE errors \(.*\) \(#60\)$/);
  });

  await step('a dashboard with no panel for a stage: the drill-down says so and Explore opens with the stage\'s queries', async () => {
    await page.goto(`${base}/d/no-raw-panels?from=now-2h&to=now&refresh=`);
    await page.getByTestId('codex-flow-stage-kafka').click();
    const explore = page.getByTestId('codex-flow-explore-kafka');
    await explore.waitFor({ timeout: 20_000 });
    assert.match(await page.getByTestId('codex-flow-drilldown').textContent(), /No panel on this dashboard shows this stage/);
    await explore.click();
    await page.waitForURL(/\/explore\?/);
    const pane = Object.values(JSON.parse(new URL(page.url()).searchParams.get('panes')))[0];
    assert.equal(pane.datasource, 'codex-prometheus');
    assert.ok(pane.queries.some((q) => /kafka_consumergroup_lag/.test(q.expr)), JSON.stringify(pane.queries));
    await page.getByTestId('explore-expr-A').waitFor();
    await page.getByTestId('raw-panel-series-65').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: `${shots}/explore.png` });
    // The panel option still wins for the stages it names ("sse=3" here), the rest stay automatic.
    await page.goto(`${base}/d/no-raw-panels?from=now-2h&to=now&refresh=`);
    await page.getByTestId('codex-flow-stage-sse').click();
    const chosen = page.getByTestId('codex-flow-open-panel-3');
    await chosen.waitFor({ timeout: 20_000 });
    assert.equal(await chosen.innerText(), 'Open “Prometheus CPU” ↗');
    assert.equal(await page.getByTestId('codex-flow-explore-sse').count(), 0);
  });

  await step('the dashboard deployed upstream today (data sources by name, schemaVersion 27, no Kafka panels)', async () => {
    const expected = { nats: [3, 4, 5], jangar: [6, 7], sse: [8, 9] };
    for (const [stage, ids] of Object.entries(expected)) {
      await page.goto(`${base}/d/codex-upstream?from=now-2h&to=now&refresh=`);
      await page.getByTestId(`codex-flow-stage-${stage}`).click();
      for (const id of ids) await page.getByTestId(`codex-flow-open-panel-${id}`).waitFor({ timeout: 20_000 });
      assert.equal(await page.locator('[data-testid^=codex-flow-open-panel-]').count(), ids.length);
    }
    await page.getByTestId('codex-flow-open-panel-8').click();
    await page.waitForURL(/viewPanel=8/);
    await page.getByTestId('raw-panel-series-8').waitFor({ timeout: 20_000 });
    await page.getByTestId('back-to-dashboard').click();
    // Back where the panel was opened from: SSE's drill-down, from the URL's moment; closed to go on.
    await page.getByTestId('codex-flow-drilldown').waitFor();
    assert.equal(await page.getByTestId('codex-flow-drilldown').getAttribute('data-stage'), 'sse');
    await page.keyboard.press('Escape');
    await page.getByTestId('codex-flow-drilldown').waitFor({ state: 'detached' });
    await page.getByTestId('codex-flow-stage-kafka').click();
    const explore = page.getByTestId('codex-flow-explore-kafka');
    await explore.waitFor({ timeout: 20_000 });
    const href = await explore.getAttribute('href');
    assert.equal(Object.values(JSON.parse(new URL(href, base).searchParams.get('panes')))[0].datasource, 'prom-upstream');
  });

  await step('the panel follows a theme change as Grafana\'s panels do (ThemeChangedEvent → ThemeContext)', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=`);
    await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]', { timeout: 30_000 });
    const bg = () => page.getByTestId('codex-flow-panel').evaluate((el) => getComputedStyle(el).getPropertyValue('--cf-bg').trim().toLowerCase());
    const themeBg = (mode) => page.evaluate((m) => window.__grafanaData.getThemeById(m).colors.background.primary.toLowerCase(), mode);
    assert.equal(await bg(), await themeBg('dark'));
    let evaluations = 0;
    const count = (r) => { if (r.url().endsWith('/resources/v1/evaluate')) evaluations += 1; };
    page.on('request', count);
    await page.getByTestId('toggle-theme').click();
    await page.waitForFunction((want) => getComputedStyle(document.querySelector('[data-testid=codex-flow-panel]')).getPropertyValue('--cf-bg').trim().toLowerCase() === want, await themeBg('light'));
    page.off('request', count);
    assert.equal(evaluations, 0, 'a theme change repaints, it does not evaluate again');
    await page.screenshot({ path: `${shots}/dashboard-theme-switched.png` });
  });

  await step('the config page follows a theme change and keeps unsaved edits', async () => {
    await page.goto(`${base}/plugins/proompteng-codexflow-app`);
    await page.getByTestId('cfc-form').waitFor({ timeout: 30_000 });
    await page.locator('#cfc-tenant').fill('edited-not-saved');
    const bg = () => page.getByTestId('cfc-form').evaluate((el) => getComputedStyle(el).getPropertyValue('--cf-bg').trim().toLowerCase());
    const before = await bg();
    await page.getByTestId('toggle-theme').click();
    await page.waitForFunction((old) => getComputedStyle(document.querySelector('[data-testid=cfc-form]')).getPropertyValue('--cf-bg').trim().toLowerCase() !== old, before);
    assert.equal(await bg(), await page.evaluate(() => window.__grafanaData.getThemeById('light').colors.background.primary.toLowerCase()));
    assert.equal(await page.locator('#cfc-tenant').inputValue(), 'edited-not-saved');
  });

  for (const [version, legacy] of [['11.0.0', false], ['10.4.0', true]]) {
    await step(`Grafana ${version} (SystemJS 6.14, no module.uri${legacy ? ', panel under its own id' : ''}): the .wasm comes from the plugin meta's baseUrl`, async () => {
      const wasm = page.waitForResponse((r) => r.url().endsWith('codexflow_panel_bg.wasm'));
      await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=&grafanaVersion=${version}${legacy ? '&legacyPaths=1' : ''}`);
      const panelBase = legacy ? 'public/plugins/proompteng-codexflow-panel' : 'public/plugins/proompteng-codexflow-app/panel';
      assert.equal(new URL((await wasm).url()).pathname, `/${panelBase}/codexflow_panel_bg.wasm`);
      assert.ok(await page.locator('script[src*="systemjs-6.14.2/amd.js"]').count() === 1, 'the SystemJS that version bundles');
      const amd = await (await fetch(`${base}/public/harness/systemjs-6.14.2/amd.js`)).text();
      assert.doesNotMatch(amd, /\.uri\b/, 'this SystemJS gives AMD modules no uri');
      await page.waitForSelector('[data-testid=codex-flow-stage-kafka][data-status=critical]', { timeout: 30_000 });
    });
  }

  await step('Grafana 11.0: the config page finds its .wasm from the app meta\'s baseUrl', async () => {
    const wasm = page.waitForResponse((r) => r.url().endsWith('codexflow_config_bg.wasm'));
    await page.goto(`${base}/plugins/proompteng-codexflow-app?grafanaVersion=11.0.0`);
    assert.equal(new URL((await wasm).url()).pathname, '/public/plugins/proompteng-codexflow-app/codexflow_config_bg.wasm');
    await page.getByTestId('cfc-form').waitFor({ timeout: 30_000 });
  });

  for (const [where, path] of [['a public dashboard', '/public-dashboards/codex-pipeline-observability'], ['a snapshot', '/dashboard/snapshot/codex-pipeline-observability']]) {
    await step(`on ${where} the panel says why it shows nothing and calls no resource`, async () => {
      let resourceCalls = 0;
      const count = (r) => { if (r.url().includes('/resources/')) resourceCalls += 1; };
      page.on('request', count);
      await page.goto(`${base}${path}?from=now-2h&to=now&refresh=`);
      const note = page.getByTestId('codex-flow-unavailable');
      await note.waitFor({ timeout: 30_000 });
      assert.match(await note.innerText(), new RegExp(`signed-in Grafana users.*${where}`));
      await page.getByTestId('raw-panel-series-1').waitFor({ timeout: 20_000 });
      page.off('request', count);
      assert.equal(resourceCalls, 0);
    });
  }

  await step('a host that lists only the app in allow_loading_unsigned_plugins refuses the nested panel, as Grafana does', async () => {
    await page.goto(`${refusing}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=`);
    const error = page.getByTestId('panel-load-error');
    await error.waitFor({ timeout: 30_000 });
    assert.equal(await error.innerText(), 'Error: Panel plugin not found: proompteng-codexflow-panel');
    await page.getByTestId('raw-panel-series-1').waitFor({ timeout: 20_000 });
    const asset = await fetch(`${refusing}/public/plugins/proompteng-codexflow-panel/module.js`);
    assert.equal(asset.status, 404);
    const settings = await page.evaluate(() => fetch('/api/plugins/proompteng-codexflow-app/settings').then((r) => r.status));
    assert.equal(settings, 200, 'the app itself is listed and loads');
  });

  await step('the older nested-plugin path and the light theme work too', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=&legacyPaths=1&theme=light`);
    await page.waitForSelector('[data-testid=codex-flow-stage-kafka][data-status=critical]', { timeout: 30_000 });
    await page.screenshot({ path: `${shots}/dashboard-light.png` });
  });

  await step('the Codex Flow data source: its module through SystemJS, a query through DataSourceWithBackend, frames @grafana/data reads and a panel colours', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=`);
    await page.getByTestId('codex-flow-stage-kafka').waitFor({ timeout: 30_000 });
    const got = await page.evaluate(async () => {
      const data = window.__grafanaData;
      const settings = window.grafanaBootData.settings.datasources['Codex Flow'];
      const { plugin } = await System.import(`/${settings.meta.module}`);
      if (!(plugin instanceof data.DataSourcePlugin)) throw new Error('not a DataSourcePlugin');
      const ds = new plugin.DataSourceClass({ ...settings, jsonData: {}, access: 'proxy', readOnly: true });
      const now = Date.now();
      const range = { from: data.dateTime(now - 7_200_000), to: data.dateTime(now), raw: { from: 'now-2h', to: 'now' } };
      const run = (targets) => new Promise((resolve, reject) => ds.query({
        requestId: `cf-${targets[0].refId}`, interval: '1m', intervalMs: 60_000, maxDataPoints: 500, range, scopedVars: {},
        timezone: 'browser', app: 'dashboard', startTime: now, targets,
      }).subscribe({ next: resolve, error: reject }));
      const ok = await run([{ refId: 'A', ...ds.getDefaultQuery() }, { refId: 'B', queryType: 'pipelineStatus' }]);
      const bad = await run([{ refId: 'C', queryType: 'stageStatus', stages: ['kafak'] }]);
      const theme = data.createTheme();
      // As a panel sees the frames: after Grafana applies the field config (applyFieldOverrides),
      // each field has its `display`.
      const applied = data.applyFieldOverrides({
        data: ok.data, fieldConfig: { defaults: {}, overrides: [] }, replaceVariables: (s) => s, theme, timeZone: 'browser',
      });
      const stages = applied.filter((f) => f.refId === 'A');
      const pipeline = applied.find((f) => f.refId === 'B');
      const status = stages[0].fields[1];
      const shown = (field, value) => field.display(value);
      // With the value mappings a panel adds (the demo State timeline's), each status has its word too.
      const dashboard = await (await fetch('/api/dashboards/uid/codex-pipeline-observability')).json();
      const timeline = dashboard.dashboard.panels.find((p) => p.type === 'state-timeline');
      const mapped = data.applyFieldOverrides({
        data: ok.data, fieldConfig: timeline.fieldConfig, replaceVariables: (s) => s, theme, timeZone: 'browser',
      }).find((f) => f.refId === 'A').fields[1];
      return {
        names: stages.map((f) => data.getFieldDisplayName(f.fields[1], f)),
        types: stages[0].fields.map((f) => f.type),
        colours: [0, 1, 2, 3].map((v) => shown(status, v).color),
        words: [0, 1, 2, 3].map((v) => shown(mapped, v).text),
        mappedColours: [0, 1, 2, 3].map((v) => shown(mapped, v).color),
        expected: ['green', '#8e8e8e', 'orange', 'red'].map((c) => theme.visualization.getColorByName(c)),
        pipeline: pipeline.fields.map((f) => f.name),
        lastWorst: pipeline.fields[1].values[pipeline.length - 1],
        lastStage: pipeline.fields[2].values[pipeline.length - 1],
        error: bad.errors?.[0]?.message ?? bad.error?.message ?? '',
      };
    });
    assert.deepEqual(got.names, ['Kafka completions', 'NATS agent comms', 'Jangar ingest', 'Jangar SSE']);
    assert.deepEqual(got.types, ['time', 'number']);
    assert.deepEqual(got.colours, got.expected, 'each status in its colour, as a panel displays it');
    assert.deepEqual(got.words, ['ok', 'no data', 'warning', 'critical'], 'each status in its word, with the mappings');
    assert.deepEqual(got.mappedColours, got.expected, 'and the same colours');
    assert.deepEqual(got.pipeline, ['time', 'status', 'stage']);
    assert.ok(got.lastWorst >= 2 && got.lastStage !== '', `the story's incident is the pipeline's: ${got.lastWorst} ${got.lastStage}`);
    assert.match(got.error, /no stage with id "kafak"; the stages are kafka, nats, jangar, sse/);
    // The bad query's 400, provoked: not a problem.
    forgive(/^HTTP 400 .*\/api\/ds\/query\?ds_type=proompteng-codexflow-datasource&requestId=cf-C$/);
    forgive(/^console: Failed to load resource: the server responded with a status of 400/);
  });

  await step('the data source\'s variables, annotations and template variables, through Grafana\'s query path', async () => {
    const got = await page.evaluate(async () => {
      const data = window.__grafanaData;
      const settings = window.grafanaBootData.settings.datasources['Codex Flow'];
      const { plugin } = await System.import(`/${settings.meta.module}`);
      const ds = new plugin.DataSourceClass({ ...settings, jsonData: {}, access: 'proxy', readOnly: true });
      const now = Date.now();
      const range = { from: data.dateTime(now - 7_200_000), to: data.dateTime(now), raw: { from: 'now-2h', to: 'now' } };
      const request = (targets, scopedVars = {}) => ({
        requestId: `cf-${targets[0].refId}`, interval: '1m', intervalMs: 60_000, maxDataPoints: 500, range, scopedVars,
        timezone: 'browser', app: 'dashboard', startTime: now, targets,
      });
      const first = (observable) => new Promise((resolve, reject) => observable.subscribe({ next: resolve, error: reject }));
      // `$stage` as a panel repeated over two stages passes it: each value a stage.
      const scoped = await first(ds.query(request([{ refId: 'V', queryType: 'stageStatus', stages: ['$stage'] }],
        { stage: { text: 'Kafka + SSE', value: ['kafka', 'sse'] } })));
      // A query variable: Grafana runs the variable support's query and reads `text` and `value`.
      const listed = await first(ds.variables.query(request([{ refId: 'variable-query' }])));
      const list = listed.data[0];
      // An annotation, as Scenes' standard annotation query runs it: prepareQuery, then refId `Anno`.
      const anno = { name: 'Stage changes', enable: true, iconColor: 'red', target: { refId: 'A', queryType: 'stageStatus', stages: [] } };
      const annoQuery = { ...ds.annotations.prepareQuery(anno), refId: 'Anno' };
      const events = (await first(ds.query(request([annoQuery])))).data[0];
      return {
        scoped: scoped.data.map((f) => f.name),
        variableType: ds.variables.getType(),
        options: list.fields.map((f) => [f.name, Array.from(f.values)]),
        annoType: annoQuery.queryType,
        annoDefault: ds.annotations.getDefaultQuery().queryType,
        eventFields: events.fields.map((f) => f.name),
        texts: Array.from(events.fields.find((f) => f.name === 'text').values),
        tags: Array.from(events.fields.find((f) => f.name === 'tags').values),
      };
    });
    assert.deepEqual(got.scoped, ['kafka', 'sse']);
    assert.equal(got.variableType, 'custom');
    assert.deepEqual(got.options, [
      ['text', ['Kafka completions', 'NATS agent comms', 'Jangar ingest', 'Jangar SSE']],
      ['value', ['kafka', 'nats', 'jangar', 'sse']],
    ]);
    assert.deepEqual([got.annoType, got.annoDefault], ['stageChanges', 'stageChanges']);
    assert.deepEqual(got.eventFields, ['time', 'title', 'text', 'tags', 'stage']);
    assert.ok(got.texts.some((t) => / → (warning|critical): .+ \(was /.test(t)), `the story's incidents are events, with the reason: ${got.texts}`);
    assert.ok(got.tags.every((t) => /^codexflow,(kafka|nats|jangar|sse),(ok|no data|warning|critical)$/.test(t)), `${got.tags}`);
    // The annotation's editor: the stages alone, the type is always the changes.
    await page.evaluate(async () => {
      const settings = window.grafanaBootData.settings.datasources['Codex Flow'];
      const { plugin } = await System.import(`/${settings.meta.module}`);
      const ds = new plugin.DataSourceClass({ ...settings, jsonData: {}, access: 'proxy', readOnly: true });
      const el = document.createElement('div');
      el.id = 'annotation-editor-host';
      document.body.prepend(el);
      window.__renderInto(el, ds.annotations.QueryEditor, {
        query: { refId: 'Anno', ...ds.annotations.getDefaultQuery() }, datasource: ds, onRunQuery: () => {}, onChange: () => {},
      });
    });
    const editor = page.locator('#annotation-editor-host').getByTestId('codexflow-query-editor');
    await editor.waitFor();
    assert.equal(await editor.locator('select').count(), 0);
    assert.equal(await editor.getByLabel('Stages').count(), 1);
    await page.evaluate(() => document.getElementById('annotation-editor-host')?.remove());
  });

  await step('the demo\'s State timeline, drawn from the data source\'s frames, shows the Kafka incident; its changes mark the raw panels', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=`);
    const timeline = page.getByTestId('state-timeline-11');
    await timeline.getByTestId('state-timeline-row').first().waitFor({ timeout: 30_000 });
    const rows = await timeline.getByTestId('state-timeline-row').evaluateAll((els) => els.map((e) => e.dataset.name));
    assert.deepEqual(rows, ['Kafka completions', 'NATS agent comms', 'Jangar ingest', 'Jangar SSE']);
    const kafka = await timeline.locator('[data-name="Kafka completions"] [data-testid=state-timeline-run]')
      .evaluateAll((els) => els.map((e) => [e.dataset.text, getComputedStyle(e).backgroundColor]));
    const critical = kafka.find(([text]) => text === 'critical');
    assert.ok(critical, `Kafka's row shows the incident: ${JSON.stringify(kafka)}`);
    const red = await page.evaluate(() => window.__grafanaData.createTheme({ colors: { mode: window.grafanaBootData.user.lightTheme ? 'light' : 'dark' } }).visualization.getColorByName('red'));
    assert.equal(critical[1], await page.evaluate((c) => { const d = document.createElement('div'); d.style.color = c; document.body.append(d); const v = getComputedStyle(d).color; d.remove(); return v; }, red));
    await timeline.screenshot({ path: `${shots}/state-timeline.png` });
    // The dashboard's annotation query of the data source: each change a marker on the raw panels.
    const markers = page.getByTestId('raw-panel-series-2').getByTestId('annotation-marker');
    await markers.first().waitFor({ timeout: 30_000 });
    const labels = await markers.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    assert.ok(labels.some((l) => / → (warning|critical): .+\(was /.test(l)), `${labels}`);
    await markers.first().focus();
    assert.match(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? ''), / → /, 'a marker is reachable by keyboard');
  });

  await step('at the provisioned size every strip row of the four stages is whole, none cut or scrolled away', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability?from=now-2h&to=now&refresh=`);
    await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]', { timeout: 30_000 });
    const cut = await page.evaluate(() => {
      const box = document.querySelector('.cf-strip-rows').getBoundingClientRect();
      return Array.from(document.querySelectorAll('.cf-strip-row')).map((r) => {
        const b = r.getBoundingClientRect();
        return b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5 ? r.textContent : null;
      }).filter((t) => t !== null);
    });
    assert.equal(await page.locator('.cf-strip-row').count(), 4);
    assert.deepEqual(cut, [], 'rows cut by the strips\' box');
  });

  await step('the data source\'s settings page: added, edited by keyboard, saved and tested', async () => {
    const provisioned = await (await page.context().request.get(`${base}/api/datasources/uid/codexflow`)).json();
    const added = await page.context().request.post(`${base}/api/datasources`, {
      data: { name: `Codex Flow ${Date.now()}`, type: 'proompteng-codexflow-datasource', access: 'proxy', jsonData: {} },
    });
    assert.equal(added.status(), 200);
    const { datasource } = await added.json();
    await page.goto(`${base}/connections/datasources/edit/${datasource.uid}`);
    await page.getByTestId('codexflow-datasource-settings').waitFor({ timeout: 30_000 });
    // Saved without a Prometheus URL: the check says what is missing.
    await page.getByTestId('datasource-save-and-test').click();
    const result = page.getByTestId('datasource-test-result');
    await result.waitFor();
    assert.equal(await result.getAttribute('data-status'), 'error');
    assert.match(await result.innerText(), /prometheusUrl/);
    await page.getByLabel('Prometheus URL').focus();
    await page.keyboard.type(provisioned.jsonData.prometheusUrl);
    await page.getByTestId('datasource-save-and-test').focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=datasource-test-result][data-status=success]').waitFor({ timeout: 30_000 });
    const stored = await (await page.context().request.get(`${base}/api/datasources/uid/${datasource.uid}`)).json();
    assert.equal(stored.jsonData.prometheusUrl, provisioned.jsonData.prometheusUrl);
    assert.equal(stored.version, 3, 'saved twice');
    await page.screenshot({ path: `${shots}/datasource-settings.png` });
    forgive(/^HTTP 400 .*\/api\/datasources\/uid\/ds-\d+\/health/);
    forgive(/^console: Failed to load resource: the server responded with a status of 400/);
  });

  await step('the data source\'s query editor: a new query shows every stage; type and stages set by keyboard alone', async () => {
    await page.evaluate(async () => {
      const settings = window.grafanaBootData.settings.datasources['Codex Flow'];
      const { plugin } = await System.import(`/${settings.meta.module}`);
      const ds = new plugin.DataSourceClass({ ...settings, jsonData: {}, access: 'proxy', readOnly: true });
      const el = document.createElement('div');
      el.id = 'query-editor-host';
      document.body.prepend(el);
      // Rendered once (a new root would remount and lose focus): each change is recorded.
      window.__queries = [];
      window.__renderInto(el, plugin.components.QueryEditor, {
        query: { refId: 'A', ...ds.getDefaultQuery() }, datasource: ds, onRunQuery: () => {},
        onChange: (q) => window.__queries.push(q),
      });
    });
    const editor = page.getByTestId('codexflow-query-editor');
    await editor.waitFor();
    assert.equal(await editor.locator('select').inputValue(), 'stageStatus');
    await editor.locator('select').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    await page.keyboard.type('kafka, nats');
    await page.keyboard.press('Enter');
    const changes = await page.evaluate(() => window.__queries.map((q) => [q.queryType, q.stages]));
    assert.deepEqual(changes, [['pipelineStatus', []], ['stageStatus', ['kafka', 'nats']]]);
    await page.evaluate(() => document.getElementById('query-editor-host')?.remove());
  });

  await step('HEAD on a resource: passed to the plugin before Grafana 13, refused with 405 and Allow from 13', async () => {
    const grafana = await page.evaluate(() => window.grafanaBootData.settings.buildInfo.version);
    // The context's own request client: the page's cookie, and a 405 that is not one of the page's problems.
    const r = await page.context().request.fetch(`${base}/api/plugins/proompteng-codexflow-app/resources/v1/pipeline`, { method: 'HEAD' });
    if (Number(grafana.split('.')[0]) >= 13) {
      assert.deepEqual([r.status(), r.headers().allow], [405, 'DELETE, GET, PATCH, POST, PUT']);
    } else {
      assert.equal(r.status(), 200);
    }
  });

});
