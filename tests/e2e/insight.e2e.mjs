// Queue insight in the browser: the live demo (simulator scraped by a real Prometheus, the real plugin
// binary, the dev host with the demo's provisioning) while the Kafka consumer commits nothing. The
// Kafka tile says so in one line, the tooltip and the drill-down give the full picture (its lag chart
// read with the crosshair); screenshots of each in the dark and the light theme.
// Usage: node tests/e2e/insight.e2e.mjs <dev host URL> <screenshot dir>
import assert from 'node:assert/strict';
import { runScript } from './browser.mjs';

const [base, shots = 'target/e2e'] = process.argv.slice(2);
await runScript({ shots, viewport: { width: 1400, height: 1100 } }, async ({ page, step }) => {
  // The last evaluation the panel asked for, to say what the backend answered when a check fails.
  let last = '';
  page.on('request', (r) => { if (r.url().endsWith('/v1/evaluate')) last = `request ${r.postData()}`; });
  page.on('response', async (r) => {
    if (r.url().endsWith('/v1/evaluate')) {
      const body = await r.json().catch(() => ({}));
      last += ` answer kafka.queue ${JSON.stringify(body.stages?.find((s) => s.id === 'kafka')?.queue)}`;
    }
  });
  const flow = page.getByTestId('codex-flow-panel');
  for (const theme of ['dark', 'light']) {
    await step(`${theme}: the Kafka tile says its consumer stopped or stalled, the tooltip gives the picture`, async () => {
      await page.goto(`${base}/d/codex-pipeline-observability?theme=${theme}`);
      await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]', { timeout: 30_000 });
      const line = page.getByTestId('codex-flow-insight-kafka');
      await line.waitFor({ timeout: 20_000 });
      // The consumer's state, and how old the data it takes is (growing a second a second).
      assert.match(await line.innerText(), /^consumer (stopped|stalled) · (more than )?(\d+m )?\d+s old$/, last);
      // The header: how old the data reaching the clients is, Kafka's wait included.
      assert.match(await page.getByTestId('codex-flow-freshness').innerText(), /^Clients' data (≈|more than) (\d+m )?\d+s old$/, last);
      // The other backlogs are healthy: their consumers are not a problem (NATS' 40 pending may read as
      // steady or as moving by a message, live scrapes decide).
      assert.doesNotMatch(await page.getByTestId('codex-flow-insight-nats').innerText(), /consumer/, last);
      const kafka = page.getByTestId('codex-flow-stage-kafka');
      assert.equal(await kafka.getAttribute('data-status'), 'ok', 'under the alert threshold: no alert, only the insight sees it');
      await kafka.screenshot({ path: `${shots}/insight-tile-${theme}.png` });
      await kafka.hover();
      const tip = page.getByRole('tooltip');
      await tip.waitFor();
      const text = await tip.innerText();
      assert.match(text, /(Growing|Draining) by \d+(\.\d+)?\/s over the last 30s|Steady over the last 30s/, last);
      assert.match(text, /Consumer (STOP|STALL)/, last);
      await flow.screenshot({ path: `${shots}/insight-tooltip-${theme}.png` });
    });

    await step(`${theme}: the drill-down shows the queue's picture beside the alerts`, async () => {
      await page.getByTestId('codex-flow-stage-kafka').click();
      const queue = page.getByTestId('codex-flow-queue');
      await queue.waitFor();
      assert.match(await queue.innerText(), /Consumer (STOP|STALL)/, last);
      // The lag chart's crosshair, near the right end (the live minutes): the time and the value there.
      const chart = page.locator('.cf-card', { hasText: 'Kafka Completions Consumer Lag' }).locator('.cf-chart');
      const box = await chart.boundingBox();
      await chart.hover({ position: { x: box.width - 12, y: box.height / 2 } });
      const cross = page.getByTestId('codex-flow-crosshair');
      await cross.waitFor();
      assert.match(await cross.innerText(), /\d\d:\d\d:\d\d[\s\S]*lag: [\d.,]+K? messages/, await cross.innerText());
      await page.getByTestId('codex-flow-drilldown').screenshot({ path: `${shots}/insight-drilldown-${theme}.png` });
      await page.keyboard.press('Escape');
      await page.getByTestId('codex-flow-drilldown').waitFor({ state: 'detached' });
    });
  }
});
