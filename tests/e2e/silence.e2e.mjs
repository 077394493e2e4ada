// An on-call engineer's silence in the browser: the pipeline simulator in its Kafka act, a real
// Prometheus running the Kafka rule and sending its alert to a real Alertmanager, a silence created
// through the Alertmanager's API, the real plugin binary and the dev host. The Kafka tile keeps its
// status but is drawn calmer and says "silenced"; the tooltip and the drill-down name who silenced
// it, until when and why. Screenshots of each in the dark and the light theme.
// Usage: node tests/e2e/silence.e2e.mjs <dev host URL> <screenshot dir> <author> <comment>
import assert from 'node:assert/strict';
import { runScript } from './browser.mjs';

const [base, shots = 'target/e2e', author, comment] = process.argv.slice(2);
// "silenced by alice until 2026-12-02 03:04 UTC: draining after the deploy"
const words = new RegExp(`silenced by ${author} until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: ${comment}`);
await runScript({ shots, viewport: { width: 1400, height: 1100 } }, async ({ page, step }) => {
  const flow = page.getByTestId('codex-flow-panel');
  for (const theme of ['dark', 'light']) {
    await step(`${theme}: the silenced Kafka stage keeps its status, drawn calmer and marked silenced`, async () => {
      await page.goto(`${base}/d/codex-pipeline-observability?theme=${theme}`);
      await page.waitForSelector('[data-testid=codex-flow-panel][data-state=ready]', { timeout: 30_000 });
      const kafka = page.getByTestId('codex-flow-stage-kafka');
      await page.waitForSelector('[data-testid=codex-flow-stage-kafka][data-suppressed=true]', { timeout: 20_000 });
      assert.equal(await kafka.getAttribute('data-status'), 'warning', 'silenced is not ok');
      assert.match(await kafka.innerText(), /warning · silenced/i); // the status word is drawn in capitals
      assert.match(await kafka.getAttribute('aria-label'), /^Kafka[^:]*: warning \(silenced\)/);
      // A silenced tile is dashed, not solid like its unsilenced neighbours would be.
      assert.equal(await kafka.evaluate((el) => getComputedStyle(el).borderTopStyle), 'dashed');
      await kafka.screenshot({ path: `${shots}/silenced-tile-${theme}.png` });
    });

    await step(`${theme}: the tooltip says who silenced it, until when and why`, async () => {
      await page.getByTestId('codex-flow-stage-kafka').hover();
      const tip = page.getByRole('tooltip');
      await tip.waitFor();
      assert.match(await tip.innerText(), words);
      await flow.screenshot({ path: `${shots}/silenced-tooltip-${theme}.png` });
    });

    await step(`${theme}: the drill-down says the same beside the firing alert`, async () => {
      await page.getByTestId('codex-flow-stage-kafka').click();
      const drill = page.getByTestId('codex-flow-drilldown');
      await drill.waitFor();
      const silence = page.getByTestId('codex-flow-silence');
      assert.match(await silence.innerText(), words);
      assert.match(await drill.innerText(), /firing\s+CodexKafkaCompletionsLagHigh/i);
      await drill.screenshot({ path: `${shots}/silenced-drilldown-${theme}.png` });
      await page.keyboard.press('Escape');
      await drill.waitFor({ state: 'detached' });
    });
  }
});
