// Panel budgets (issue 3), measured in headless Chromium on the built package (dist/):
//   first painted diagram <= 50 ms after the data arrives (the Codex pipeline, a day at 1 m ticks);
//   layout and render of a synthetic 200-stage pipeline <= 100 ms; a hover update <= 16 ms.
// "Data arrives" = the answer's bytes are in (mark codexflow-data-*); "painted" = the next animation
// frame after the render (mark codexflow-painted-*). Files are served from disk through Playwright's
// routing, the backend's answer is recorded JSON, so only the panel is measured.
// Run: bash scripts/build-frontend.sh && node testkit/src/grafana/page/build.mjs && node frontend/bench/panel-bench.mjs
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const ORIGIN = 'http://codexflow.bench';
const RUNS = 15;
const DAY = 1440;
const T0 = 1795737600000;

function series(n, f) {
  return Array.from({ length: n }, (_, i) => ({ t: T0 + i * 360000, v: f(i) }));
}

/** An evaluate answer for `stages` stages in a chain, a day at 1 m ticks, every stage with one alert. */
function answer(stages) {
  const ids = Array.from({ length: stages }, (_, i) => (stages === 4 ? ['kafka', 'nats', 'jangar', 'sse'][i] : `s${i}`));
  const ticks = Array.from({ length: DAY }, (_, i) => T0 + i * 60000);
  const statusAt = (s, i) => (((i + s * 37) % 400) < 60 ? 'warning' : ((i + s * 11) % 700) < 30 ? 'critical' : 'ok');
  return {
    from: T0, to: T0 + (DAY - 1) * 60000, intervalMs: 60000, ticks,
    stages: ids.map((id, s) => ({
      id, name: stages === 4 ? ['Kafka completions', 'NATS agent comms', 'Jangar ingest', 'Jangar SSE'][s] : `Stage ${s}`,
      status: statusAt(s, DAY - 1), reason: 'lag 1,532 > 1,000 for 17m, since 12:03 UTC',
      headline: { label: 'lag', unit: '', value: 1532 },
      series: series(240, (i) => 200 + ((i * (s + 3)) % 97) * 12),
      statusTimeline: ticks.map((_, i) => statusAt(s, i)),
    })),
    edges: ids.slice(1).map((id, i) => ({ from: ids[i], to: id, label: '', rate: 12.5, unit: 'msg/s', series: series(240, () => 12) })),
    alerts: ids.map((id, s) => ({
      name: `Alert${s}`, stage: id, severity: 'warning', labels: { alertname: `Alert${s}`, severity: 'warning' },
      state: 'firing', activeAt: T0, reason: 'lag 1,532 > 1,000 for 17m',
      timeline: ticks.map((t, i) => ({ t, state: statusAt(s, i) === 'ok' ? 'inactive' : 'firing', value: 1532, activeAt: T0 })),
    })),
  };
}

const dashboard = {
  dashboard: {
    uid: 'bench', title: 'bench', refresh: '', time: { from: String(T0), to: String(T0 + (DAY - 1) * 60000) },
    panels: [{ id: 1, type: 'proompteng-codexflow-panel', title: 'flow', gridPos: { x: 0, y: 0, w: 24, h: 26 },
      options: { stagePanels: '', showSparklines: true, showEdgeRates: true, direction: 'lr', interval: '' } }],
  },
};

const files = (path) => {
  if (path.startsWith('/public/plugins/proompteng-codexflow-app/')) return `dist/${path.slice('/public/plugins/proompteng-codexflow-app/'.length)}`;
  if (path.startsWith('/public/harness/')) return `target/harness/${path.slice('/public/harness/'.length)}`;
  if (path.startsWith('/d/')) return 'target/harness/index.html';
  return null;
};
const types = { js: 'text/javascript', wasm: 'application/wasm', html: 'text/html', svg: 'image/svg+xml' };

function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

async function measure(browser, stages) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const body = JSON.stringify(answer(stages));
  await page.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname.endsWith('/resources/v1/evaluate')) return route.fulfill({ body, contentType: 'application/json' });
    if (url.pathname.startsWith('/api/dashboards/uid/')) return route.fulfill({ body: JSON.stringify(dashboard), contentType: 'application/json' });
    const file = files(url.pathname);
    if (!file) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ body: readFileSync(file), contentType: types[file.split('.').pop()] ?? 'application/octet-stream' });
  });
  const paints = [];
  const renders = [];
  // Each run loads the page afresh, so this is the first render from scratch, not a diff.
  for (let run = 0; run < RUNS; run++) {
    await page.goto(`${ORIGIN}/d/bench`);
    const spans = await page.waitForFunction((gen) => {
      const at = (kind) => performance.getEntriesByType('mark').find((m) => m.name.startsWith(`codexflow-${kind}-`) && m.name.endsWith(`-${gen}`));
      const [d, parsed, p] = [at('data'), at('parsed'), at('painted')];
      return d && parsed && p ? [p.startTime - d.startTime, p.startTime - parsed.startTime] : null;
    }, 1);
    const [paint, render] = await spans.jsonValue();
    paints.push(paint);
    renders.push(render);
  }
  // Hover: from the event to the tooltip in the DOM with layout done.
  const hovers = [];
  for (let run = 0; run < RUNS; run++) {
    const i = (run * 7) % stages;
    const id = stages === 4 ? ['kafka', 'nats', 'jangar', 'sse'][i] : `s${i}`;
    hovers.push(await page.evaluate(async (id) => {
      const el = document.querySelector(`[data-testid=codex-flow-stage-${id}]`);
      el.dispatchEvent(new MouseEvent('mouseleave', { bubbles: true }));
      await new Promise((r) => setTimeout(r, 0));
      const t0 = performance.now();
      el.dispatchEvent(new MouseEvent('mouseenter', { bubbles: true }));
      while (!document.querySelector('[role=tooltip]')) await Promise.resolve();
      document.querySelector('[role=tooltip]').getBoundingClientRect();
      return performance.now() - t0;
    }, id));
  }
  await page.close();
  return { paints, renders, hovers, bytes: body.length };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  for (const [stages, budget] of [[4, '50 (data -> painted)'], [200, '100 (layout + render)']]) {
    const { paints, renders, hovers, bytes } = await measure(browser, stages);
    const fmt = (xs) => `median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(`${stages} stages x ${DAY} ticks (${(bytes / 1e6).toFixed(1)} MB answer): data arrived -> painted ${fmt(paints)}; ` +
      `layout + render (parsed -> painted) ${fmt(renders)} [budget ${budget} ms]; hover -> tooltip ${fmt(hovers)} [budget 16 ms]; ${RUNS} runs`);
  }
} finally {
  await browser.close();
}
