// The bottleneck in the browser: the live demo (simulator scraped by a real Prometheus, the real plugin
// binary, the dev host with the demo's provisioning) while Jangar inserts nothing. Jangar's tile carries
// the "bottleneck" mark, NATS (whose backlog only grows behind it) is drawn as a symptom, and the
// sentence why is in each one's tooltip and in the drill-down; screenshots in the dark and light theme.
// In time travel, an instant of the act before (NATS falling behind) marks NATS instead, and the
// banner gives the clients' data age then.
// Usage: node tests/e2e/bottleneck.e2e.mjs <dev host URL> <screenshot dir>
import assert from 'node:assert/strict';
import { runScript } from './browser.mjs';

const [base, shots = 'target/e2e'] = process.argv.slice(2);
await runScript({ shots, viewport: { width: 1400, height: 1100 } }, async ({ page, step }) => {
  // The last answer's bottleneck, to say what the backend answered when a check fails.
  let last = '';
  page.on('response', async (r) => {
    if (r.url().endsWith('/v1/evaluate')) {
      const body = await r.json().catch(() => ({}));
      const runs = Object.fromEntries((body.stages ?? []).map((s) => [s.id, s.bottleneckRuns]));
      last = `answer to ${body.to} bottleneck ${JSON.stringify(body.bottleneck)} stages' runs ${JSON.stringify(runs)}`;
    }
  });
  const flow = page.getByTestId('codex-flow-panel');
  for (const theme of ['dark', 'light']) {
    await step(`${theme}: Jangar is marked the bottleneck, NATS a symptom, each with its sentence`, async () => {
      await page.goto(`${base}/d/codex-pipeline-observability?theme=${theme}`);
      await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]', { timeout: 30_000 });
      const jangar = page.getByTestId('codex-flow-stage-jangar');
      const nats = page.getByTestId('codex-flow-stage-nats');
      await page.waitForSelector('[data-testid=codex-flow-stage-jangar][data-flow=bottleneck]', { timeout: 20_000 }).catch(() => {});
      assert.equal(await jangar.getAttribute('data-flow'), 'bottleneck', last);
      assert.equal(await jangar.getByTestId('codex-flow-bottleneck').innerText(), 'bottleneck');
      assert.equal(await page.locator('[data-flow=bottleneck]').count(), 1, 'one cause');
      assert.equal(await nats.getAttribute('data-flow'), 'symptom', last);
      assert.equal(await nats.getByTestId('codex-flow-bottleneck').count(), 0, 'a symptom carries no mark');
      // The symptom is drawn secondary: dimmed, its border dotted.
      const look = (el) => el.evaluate((e) => { const s = getComputedStyle(e); return [Number(s.opacity), s.borderTopStyle]; });
      const [[causeOpacity], [symptomOpacity, symptomBorder]] = await Promise.all([look(jangar), look(nats)]);
      assert.ok(symptomOpacity < causeOpacity, `${symptomOpacity} < ${causeOpacity}`);
      assert.equal(symptomBorder, 'dotted');
      for (const kafkaOrSse of ['kafka', 'sse']) {
        assert.equal(await page.getByTestId(`codex-flow-stage-${kafkaOrSse}`).getAttribute('data-flow'), null, `${kafkaOrSse} plays no part`);
      }
      // Screen readers hear the sentence with the tile.
      assert.match(await jangar.getAttribute('aria-label'), /is the bottleneck: processing is stuck and not making progress/);
      await jangar.hover();
      const tip = page.getByRole('tooltip');
      await tip.waitFor();
      assert.match(await tip.getByTestId('codex-flow-tooltip-why').innerText(), /^Jangar.* is the bottleneck: processing is stuck and not making progress$/, last);
      await flow.screenshot({ path: `${shots}/bottleneck-tooltip-${theme}.png` });
      await nats.hover();
      await tip.getByTestId('codex-flow-tooltip-why').waitFor();
      assert.match(await tip.getByTestId('codex-flow-tooltip-why').innerText(), /^NATS.*: its backlog is the one Jangar.* does not keep up with$/, last);
      await page.mouse.move(0, 0);
    });

    await step(`${theme}: the drill-down says why Jangar is the bottleneck`, async () => {
      await page.getByTestId('codex-flow-stage-jangar').focus();
      await page.keyboard.press('Enter');
      const why = page.getByTestId('codex-flow-drill-why');
      await why.waitFor();
      assert.match(await why.innerText(), /^Jangar.* is the bottleneck: processing is stuck and not making progress$/, last);
      await page.getByTestId('codex-flow-drilldown').screenshot({ path: `${shots}/bottleneck-drilldown-${theme}.png` });
      await page.keyboard.press('Escape');
      await page.getByTestId('codex-flow-drilldown').waitFor({ state: 'detached' });
    });
  }
  await step('in time travel the marks and the clients\' data age are those of the instant', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability`);
    await page.waitForSelector('[data-testid=codex-flow-stage-jangar][data-flow=bottleneck]', { timeout: 30_000 });
    const strip = page.locator('[data-testid=codex-flow-strip-jangar] svg.cf-strip');
    const box = await strip.boundingBox();
    // Back along the strip from now, into the act before Jangar's stop: NATS falling behind.
    let found = null;
    for (let f = 0.9; f > 0.05 && !found; f -= 0.05) {
      await page.mouse.move(box.x + box.width * f, box.y + box.height / 2);
      await page.getByTestId('codex-flow-travel').waitFor();
      const causes = await page.locator('[data-flow=bottleneck]').evaluateAll((els) => els.map((e) => e.dataset.testid));
      if (causes.length === 1 && causes[0] === 'codex-flow-stage-nats') found = f;
    }
    assert.ok(found, `some instant before Jangar's stop names NATS the bottleneck; ${last}`);
    assert.equal(await page.getByTestId('codex-flow-stage-jangar').getAttribute('data-flow'), null, 'Jangar plays no part then');
    // The sentence of that instant (leaving the strip returns to now, so the tile says it).
    assert.match(await page.getByTestId('codex-flow-stage-nats').getAttribute('aria-label'), /\. NATS.* is the bottleneck: processing is /);
    // The banner gives the clients' data age then.
    assert.match(await page.getByTestId('codex-flow-travel').innerText(), /^Showing .* · Clients' data (≈|more than|at least) (\d+m )?\d+s old/);
    await flow.screenshot({ path: `${shots}/bottleneck-time-travel.png` });
    await page.mouse.move(0, 0);
    await page.getByTestId('codex-flow-travel').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('codex-flow-stage-jangar').getAttribute('data-flow'), 'bottleneck', 'now again');
  });

});
