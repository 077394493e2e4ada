// Panel budgets (issue 3), measured in headless Chromium on the built package (dist/):
//   first painted diagram <= 50 ms after the data arrives (the Codex pipeline, a day at 1 m ticks);
//   layout and render of a synthetic 200-stage pipeline <= 100 ms; a hover update <= 16 ms;
//   and the cold load of the dashboard (issue 11): navigation -> the panel's first painted diagram with an
//   empty cache (a fresh browser context each run): module.js and the .wasm fetched, compiled, run.
// "Data arrives" = the answer's bytes are in (mark codexflow-data-*); "painted" = the next animation
// frame after the render (mark codexflow-painted-*). The page is the dev host's (testkit/src/grafana: the
// boot data, SystemJS and plugin metas as Grafana serves them), started here with the debug binaries and
// no Prometheus; the backend's answer and the dashboard are recorded JSON fulfilled in the browser, so
// only the panel is measured.
// Each size is measured per tick and compact ("encoding": "runs", what the panel asks for), in one run.
// Run: bash scripts/build-frontend.sh && node testkit/src/grafana/page/build.mjs &&
//      cargo build -p codexflow-backend -p codexflow-testkit && node frontend/bench/panel-bench.mjs
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

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
      state: 'firing', activeAt: T0, reason: 'lag 1,532 > 1,000 for 17m', rule: s, at: ticks[DAY - 1],
      // A threshold rule's alert has a value only while its condition holds.
      timeline: ticks.map((t, i) => (statusAt(s, i) === 'ok' ? { t, state: 'inactive', value: null } : { t, state: 'firing', value: 1532.25, activeAt: T0 })),
    })),
    // The contract of core::api::EvaluateResponse as the panel's own fixture has it
    // (frontend/panel/tests/fixtures/evaluate.json).
    rules: ids.map((id, s) => ({
      name: `Alert${s}`, group: 'bench', stage: id, severity: 'warning', forMs: 60000, keepFiringForMs: 0,
      valueName: 'lag', op: '>', threshold: 1000,
    })),
    source: { source: 'yaml', why: 'jsonData.rulesYaml is set' },
    groups: [{ name: 'bench', intervalMs: 60000, phaseMs: 0, phase: 'epoch' }],
  };
}

/** `a` in the compact form the panel asks for (`"encoding": "runs"`, core::compact, docs/api.md *The compact
 *  answer*); the panel expands it, and shows an error (no paint mark, so the bench fails) if it does not fit. */
function compact(a) {
  const runsOf = (xs, key) => {
    const out = [];
    xs.forEach((x, i) => {
      const last = out[out.length - 1];
      if (last && key(last.x) === key(x)) last.until = i; else out.push({ from: i, until: i, x });
    });
    return out;
  };
  const alertRun = (p) => [p.state, p.activeAt ?? null, p.ruler ?? null, p.agrees ?? null, !!p.late, p.value != null];
  return {
    ...a, encoding: 'runs', spark: a.stages[0].series.map((p) => p.t),
    stages: a.stages.map((s) => ({
      ...s, statusTimeline: [], series: [], seriesValues: s.series.map((p) => p.v),
      statusRuns: runsOf(s.statusTimeline, (x) => x).map((r) => [a.ticks[r.from], a.ticks[r.until], r.x]),
    })),
    edges: a.edges.map((e) => ({ ...e, series: [], seriesValues: e.series.map((p) => p.v) })),
    alerts: a.alerts.map((al) => {
      const tl = al.timeline;
      const runsAt = runsOf(tl, (p) => JSON.stringify(alertRun(p)));
      const runs = runsAt.map((r) => [tl[r.from].t, tl[r.until].t, ...alertRun(r.x)]);
      // A valued run's values at the sparkline's resolution: its ticks 0, every, 2·every, … and its last.
      const sp = a.stages[0].series;
      const step = tl.length > 1 ? tl[1].t - tl[0].t : 1;
      const every = Math.max(1, Math.floor(Math.floor((sp[sp.length - 1].t - sp[0].t) / (sp.length - 1)) / step));
      const values = runsAt.filter((r) => r.x.value != null).flatMap((r) => tl.slice(r.from, r.until + 1)
        .filter((_, i) => i % every === 0 || r.from + i === r.until).map((p) => p.value));
      return { ...al, timeline: [], runs: [tl.length > 1 ? tl[1].t - tl[0].t : 1, runs, values, every] };
    }),
  };
}

const dashboard = {
  dashboard: {
    uid: 'bench', title: 'bench', refresh: '', time: { from: String(T0), to: String(T0 + (DAY - 1) * 60000) },
    panels: [{ id: 1, type: 'proompteng-codexflow-panel', title: 'flow', gridPos: { x: 0, y: 0, w: 24, h: 26 },
      options: { stagePanels: '', showSparklines: true, showEdgeRates: true, direction: 'lr', interval: '' } }],
  },
  // What Grafana's GET /api/dashboards/uid/<uid> puts beside the model (the dev host's dashboard_api).
  meta: { slug: 'bench', provisioned: false },
};

function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

/** The dev host on a free port, serving dist/ and the harness; resolves to its URL. */
function startDevHost() {
  const child = spawn('target/debug/codexflow-devhost', ['--plugin', 'target/debug/gpx_codexflow', '--port', '0', '--prometheus', 'http://127.0.0.1:9'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the dev host exited (${code}): build it with cargo build -p codexflow-testkit`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = line.match(/^Codex Flow dev host: (http:\/\/[^/]+)/);
      if (m) resolve(m[1]);
    });
  });
  return { child, url };
}

/** The recorded answer and the bench dashboard in the browser; everything else from the dev host. */
async function serve(page, body) {
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') console.error(`console: ${m.text()}${m.location()?.url ? ` (${m.location().url})` : ''}`); });
  await page.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname.endsWith('/resources/v1/evaluate')) return route.fulfill({ body, contentType: 'application/json' });
    if (url.pathname === '/api/dashboards/uid/bench') return route.fulfill({ body: JSON.stringify(dashboard), contentType: 'application/json' });
    return route.continue();
  });
}

/** Navigation start -> first painted diagram, and -> the .wasm's last byte, each in a fresh context. */
async function coldLoad(browser) {
  const body = JSON.stringify(answer(4));
  const painted = [];
  const wasm = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    await serve(page, body);
    await page.goto(`${ORIGIN}/d/bench`);
    const times = await page.waitForFunction(() => {
      const p = performance.getEntriesByType('mark').find((m) => m.name.startsWith('codexflow-painted-'));
      const w = performance.getEntriesByType('resource').find((r) => r.name.endsWith('codexflow_panel_bg.wasm'));
      return p && w ? [p.startTime, w.responseEnd] : null;
    }, null, { timeout: 20_000 }).catch(async (e) => {
      const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((m) => m.name).join(', '));
      const text = await page.evaluate(() => document.querySelector('[data-testid=codex-flow-panel]')?.innerText ?? 'no panel');
      throw new Error(`${e.message}\nmarks: ${marks}\npage: ${text}`);
    });
    const [p, w] = await times.jsonValue();
    painted.push(p);
    wasm.push(w);
    await context.close();
  }
  return { painted, wasm };
}

async function measure(browser, stages, form) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const body = JSON.stringify(form === 'compact' ? compact(answer(stages)) : answer(stages));
  await serve(page, body);
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
      // Microtasks only (Yew renders in one), bounded: a tooltip that never comes fails the run
      // instead of spinning the page forever (one run here hung so).
      while (!document.querySelector('[role=tooltip]')) {
        if (performance.now() - t0 > 2000) throw new Error(`no tooltip 2 s after hovering ${id}`);
        await Promise.resolve();
      }
      document.querySelector('[role=tooltip]').getBoundingClientRect();
      return performance.now() - t0;
    }, id));
  }
  await page.close();
  return { paints, renders, hovers, bytes: body.length };
}

const host = startDevHost();
const ORIGIN = await host.url;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  {
    const { painted, wasm } = await coldLoad(browser);
    console.log(`cold load, empty cache (files from disk, no network): navigation -> first painted diagram median ${median(painted).toFixed(1)} ms, ` +
      `max ${Math.max(...painted).toFixed(1)} ms; of which the .wasm arrived at median ${median(wasm).toFixed(1)} ms; ${RUNS} runs`);
  }
  for (const [stages, budget, form] of [[4, '50 (data -> painted)', 'per tick'], [4, '10 (data -> painted)', 'compact'],
    [200, '100 (layout + render)', 'per tick'], [200, '100 (data -> painted)', 'compact']]) {
    const { paints, renders, hovers, bytes } = await measure(browser, stages, form);
    const fmt = (xs) => `median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(`${stages} stages x ${DAY} ticks, ${form} (${(bytes / 1e6).toFixed(2)} MB answer): data arrived -> painted ${fmt(paints)}; ` +
      `layout + render (parsed -> painted) ${fmt(renders)} [budget ${budget} ms]; hover -> tooltip ${fmt(hovers)} [budget 16 ms]; ${RUNS} runs`);
  }
} finally {
  await browser.close();
  host.child.kill();
}
