// Sharing a moment of the pipeline, in the browser: the live demo (simulator scraped by a real
// Prometheus, the real plugin binary, the dev host with the demo's provisioning and a second dashboard
// with two flow panels, `codex-flow-twice`).
// - Travel to an instant (a click on the strip) and open a stage: the URL keeps both; "Copy link to this
//   moment" (by keyboard) copies a short link; opened in another browser context it shows the same
//   instant, stage and statuses.
// - Two flow panels on one dashboard keep their own moments.
// - A hostile moment in the URL is ignored: the live view, never an error or a blank box.
// - The diagram exported as SVG parses as XML and names every stage with its status; as PNG it has the
//   panel's pixel size; both look like the panel on screen (pixels compared with a tolerance).
// - `/d-solo/<uid>?panelId=…` (what Grafana's image renderer captures) shows the moment from the URL.
// Usage: node tests/e2e/share.e2e.mjs <dev host URL> <screenshot dir>
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runScript, watchedPage } from './browser.mjs';

const [base, shots = 'target/e2e'] = process.argv.slice(2);
const ready = '[data-testid=codex-flow-panel][data-state=ready]';
const viewport = { width: 1400, height: 1100 };

/** Every tile's status, by stage id. */
const statuses = (scope) => scope.locator('[data-testid^=codex-flow-stage-]').evaluateAll((els) =>
  Object.fromEntries(els.map((e) => [e.dataset.testid.replace('codex-flow-stage-', ''), e.dataset.status])));

/** The URL's moment parameters: `codexflow-<panel id>` → value. */
const moments = (url) => Object.fromEntries([...new URL(url).searchParams].filter(([k]) => k.startsWith('codexflow-')));

/** Waits until the URL's moment parameters are `expected`. */
async function urlMoments(page, expected) {
  const deadline = Date.now() + 10_000;
  while (JSON.stringify(moments(page.url())) !== JSON.stringify(expected) && Date.now() < deadline) await page.waitForTimeout(50);
  assert.deepEqual(moments(page.url()), expected);
}

/** Clicks the strip of `stage` at `fraction` of its width: travel stays at that instant. */
async function pin(scope, page, stage, fraction) {
  const box = await scope.locator(`[data-testid=codex-flow-strip-${stage}] svg.cf-strip`).boundingBox();
  await page.mouse.click(box.x + box.width * fraction, box.y + box.height / 2);
  await page.mouse.move(0, 0);
}

/**
 * Waits as Grafana's image renderer waits before it captures a page (grafana/grafana-image-renderer
 * `pkg/service/browser.go`, `waitForReady` in polling mode, with no prior wait): every 100 ms, no http
 * request in flight and, where the page has a dashboard scene, `window.__grafanaRunningQueryCount` 0;
 * twice in a row. `inFlight` counts the page's requests.
 */
async function rendererReady(page, inFlight) {
  const deadline = Date.now() + 30_000;
  let idle = 0;
  while (idle < 2) {
    assert.ok(Date.now() < deadline, 'the page went idle within 30 s, as the renderer needs');
    await page.waitForTimeout(100);
    const queries = await page.evaluate(() => !!(window.__grafanaSceneContext && window.__grafanaRunningQueryCount > 0));
    idle = inFlight.size === 0 && !queries ? idle + 1 : 0;
  }
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What a PNG's header says of its size. */
function pngSize(bytes) {
  assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

await runScript({ shots, viewport }, async ({ page, step, problems }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const flow = page.getByTestId('codex-flow-panel');
  let link = '';
  // What the first steps saw: the banner, every tile's status, the panel's URL key, the instant.
  let seen = { travel: '', statuses: {}, key: '', at: '' };

  await step('travel to an instant and open a stage: the URL keeps both, under the panel\'s key', async () => {
    await page.goto(`${base}/d/codex-pipeline-observability`);
    await page.waitForSelector(ready, { timeout: 30_000 });
    await pin(page, page, 'jangar', 0.4);
    const travel = page.getByTestId('codex-flow-travel');
    await travel.waitFor();
    assert.match(await travel.innerText(), /^Showing .* · click the strip to move/);
    await page.getByTestId('codex-flow-stage-jangar').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('codex-flow-drilldown').waitFor();
    const deadline = Date.now() + 10_000;
    while (!Object.values(moments(page.url())).some((v) => v.endsWith('~jangar')) && Date.now() < deadline) await page.waitForTimeout(50);
    const [[key, value]] = Object.entries(moments(page.url()));
    assert.match(key, /^codexflow-\d+$/);
    assert.match(value, /^\d{13}~jangar$/);
    seen = { travel: await travel.innerText(), statuses: await statuses(page), key, at: value.split('~')[0] };
    assert.ok(Object.keys(seen.statuses).length >= 4, JSON.stringify(seen.statuses));
  });

  await step('"Copy link to this moment", by keyboard, copies a short link with the range made absolute', async () => {
    await page.getByTestId('codex-flow-drilldown').locator('[data-share=link]').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('data-testid Alert success').filter({ hasText: 'Link to this moment copied' }).waitFor();
    link = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(link, new RegExp(`^${escapeRegExp(base)}/goto/[A-Za-z0-9]+\\?orgId=1$`));
  });

  await step('the link opened in another browser context shows the same instant, stage and statuses', async () => {
    const other = await watchedPage(page.context().browser(), problems, viewport);
    try {
      // Signed in first, as whoever opens a Grafana link is.
      await other.goto(`${base}/d/codex-pipeline-observability`);
      await other.waitForSelector(ready, { timeout: 30_000 });
      await other.goto(link);
      await other.waitForSelector(ready, { timeout: 30_000 });
      const url = new URL(other.url());
      assert.ok(/^\d+$/.test(url.searchParams.get('from')) && /^\d+$/.test(url.searchParams.get('to')), `an absolute range: ${url}`);
      await other.getByTestId('codex-flow-travel').waitFor();
      assert.equal(await other.getByTestId('codex-flow-travel').innerText(), seen.travel);
      assert.equal(await other.getByTestId('codex-flow-drilldown').getAttribute('data-stage'), 'jangar');
      assert.deepEqual(await statuses(other), seen.statuses);
      await other.getByTestId('codex-flow-panel').screenshot({ path: `${shots}/share-link-opened.png` });
    } finally {
      await other.close();
    }
  });

  await step('two flow panels on one dashboard keep their own moments', async () => {
    // `codex-flow-twice`: the demo's flow panel and a copy of it, id 99 (demo_e2e.rs).
    const [first, second] = [seen.key, 'codexflow-99'];
    await page.goto(`${base}/d/codex-flow-twice?${second}=${seen.at}~nats`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=codex-flow-panel][data-state=ready]').length === 2, null, { timeout: 30_000 });
    const one = page.getByTestId(`panel-${first.split('-')[1]}`);
    const two = page.getByTestId('panel-99');
    await two.getByTestId('codex-flow-travel').waitFor();
    assert.equal(await two.getByTestId('codex-flow-drilldown').getAttribute('data-stage'), 'nats');
    assert.equal(await one.getByTestId('codex-flow-travel').count(), 0, 'the first panel is live');
    assert.equal(await one.getByTestId('codex-flow-drilldown').count(), 0);
    await pin(one, page, 'kafka', 0.2);
    await one.getByTestId('codex-flow-travel').waitFor();
    const deadline = Date.now() + 10_000;
    while (!moments(page.url())[first] && Date.now() < deadline) await page.waitForTimeout(50);
    const both = moments(page.url());
    assert.match(both[first] ?? '', /^\d{13}$/);
    assert.equal(both[second], `${seen.at}~nats`, 'the second panel\'s moment is untouched');
  });

  await step('a hostile moment in the URL is ignored: the live view, no error, no blank box', async () => {
    const [key, t] = [seen.key, seen.at];
    for (const [name, query] of [
      ['not a number', `${key}=abc`],
      ['the far future', `${key}=99999999999999~jangar`],
      ['a stage that does not exist', `${key}=${t}~nope`],
      ['markup', `${key}=~%3Cscript%3Ealert(1)%3C%2Fscript%3E`],
      ['10 KB', `${key}=${'9'.repeat(10_240)}`],
      ['the key twice', `${key}=${t}~jangar&${key}=${t}~nats`],
      ['the key with no value', key],
      ['another panel\'s key', `codexflow-4242=${t}~jangar`],
    ]) {
      await page.goto(`${base}/d/codex-pipeline-observability?${query}`);
      await page.waitForSelector(ready, { timeout: 30_000 });
      assert.equal(await page.getByTestId('codex-flow-travel').count(), 0, `${name}: live`);
      assert.equal(await page.getByTestId('codex-flow-drilldown').count(), 0, `${name}: nothing opened`);
      assert.ok(await page.locator('[data-testid^=codex-flow-stage-]').count() >= 4, `${name}: the diagram is drawn`);
      // The panel drops its own unreadable moment from the URL; another panel's key is not its to touch.
      await urlMoments(page, name === 'another panel\'s key' ? { 'codexflow-4242': `${t}~jangar` } : {});
    }
  });

  let svgText = '';
  // The dark panel on screen, which the light PNG must not pass for: the comparison can fail.
  let darkScreen = null;
  for (const theme of ['dark', 'light']) {
    await step(`${theme}: the diagram as SVG parses and names every stage with its status; as PNG it has the panel's size and looks like it`, async () => {
      await page.goto(`${base}/d/codex-pipeline-observability?theme=${theme}`);
      await page.waitForSelector(ready, { timeout: 30_000 });
      await pin(page, page, 'nats', 0.6);
      await page.getByTestId('codex-flow-travel').waitFor();
      // Each tile's name and status, read from the tile itself.
      const tiles = await page.locator('[data-testid^=codex-flow-stage-]').evaluateAll((els) =>
        els.map((e) => [e.querySelector('.cf-stage-head > span:nth-child(2)').textContent, e.dataset.status]));
      assert.ok(tiles.length >= 4);
      const exported = async (what) => {
        const [download] = await Promise.all([page.waitForEvent('download'), (async () => {
          await page.locator(`[data-share=${what}]`).focus();
          await page.keyboard.press('Enter');
        })()]);
        assert.match(download.suggestedFilename(), new RegExp(`^Codex-Pipeline.*\\.${what}$`));
        return readFileSync(await download.path());
      };
      svgText = (await exported('svg')).toString('utf8');
      const parsed = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
        const error = doc.querySelector('parsererror');
        const svg = doc.documentElement;
        const diagram = svg.querySelector(':scope > foreignObject');
        return { error: error?.textContent ?? null, root: svg.localName, width: Number(svg.getAttribute('width')), height: Number(svg.getAttribute('height')),
          diagram: [Number(diagram?.getAttribute('width')), Number(diagram?.getAttribute('height'))],
          captions: Array.from(doc.querySelectorAll('g#caption > text'), (t) => t.textContent) };
      }, svgText);
      assert.equal(parsed.error, null, 'the SVG parses as XML');
      assert.equal(parsed.root, 'svg');
      for (const [name, status] of tiles) {
        assert.ok(parsed.captions.some((c) => c.startsWith(`${name}: ${status}`)), `the caption names ${name} as ${status}: ${parsed.captions.join(' | ')}`);
      }
      assert.match(parsed.captions[0], /Codex Pipeline/, 'the dashboard\'s title');
      assert.match(parsed.captions[1], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'the instant travelled to, in the dashboard\'s time zone');
      assert.equal(parsed.captions.length, 2 + tiles.length, 'titles, instant, a line a stage');
      const png = await exported('png');
      const size = pngSize(png);
      const root = await flow.evaluate((e) => ({ width: e.offsetWidth, height: e.offsetHeight }));
      // The diagram at the panel's size in pixels, 1:1, with the caption band below it.
      assert.deepEqual(parsed.diagram, [root.width, root.height], 'the diagram is the panel\'s size');
      assert.equal(size.width, root.width, 'the PNG is the panel\'s width in pixels');
      assert.ok(parsed.height > root.height + 3 * 12, `a caption band below the diagram: ${parsed.height} > ${root.height}`);
      assert.equal(size.height, parsed.height, 'the PNG is the SVG drawn 1:1');
      assert.equal(parsed.width, root.width);
      // The panel on screen without its buttons (the image leaves them out), pixel by pixel against the PNG.
      await page.addStyleTag({ content: '.cf-root button, .cf-root [data-export=omit] { display: none !important; }' });
      const screen = await flow.screenshot({ path: `${shots}/share-panel-${theme}.png` });
      const differ = (a, b) => page.evaluate(async ([a, b]) => {
        const load = (b64) => new Promise((res, rej) => { const i = new Image(); i.onload = () => res(i); i.onerror = rej; i.src = `data:image/png;base64,${b64}`; });
        const [x, y] = await Promise.all([load(a), load(b)]);
        const w = x.width, h = x.height;
        const pixels = (img) => { const c = document.createElement('canvas'); c.width = w; c.height = h; const g = c.getContext('2d'); g.drawImage(img, 0, 0); return g.getImageData(0, 0, w, h).data; };
        const [p, q] = [pixels(x), pixels(y)];
        let off = 0;
        for (let i = 0; i < p.length; i += 4) if (Math.max(Math.abs(p[i] - q[i]), Math.abs(p[i + 1] - q[i + 1]), Math.abs(p[i + 2] - q[i + 2])) > 64) off += 1;
        return off / (w * h);
      }, [a.toString('base64'), b.toString('base64')]);
      const diff = await differ(screen, png);
      console.log(`# ${theme}: ${(diff * 100).toFixed(2)} % of the panel's pixels differ from the PNG`);
      assert.ok(diff < 0.03, `the PNG looks like the panel: ${(diff * 100).toFixed(2)} % of pixels differ`);
      if (darkScreen) {
        const other = await differ(darkScreen, png);
        console.log(`# the light PNG against the dark panel: ${(other * 100).toFixed(2)} % differ`);
        assert.ok(other > 0.3, 'the comparison tells two themes apart');
      } else {
        darkScreen = screen;
      }
      await page.mouse.move(0, 0);
    });
  }

  await step('/d-solo shows the panel alone, at the moment the URL names', async () => {
    const id = seen.key.split('-')[1];
    await page.setViewportSize({ width: 1000, height: 500 });
    const inFlight = new Set();
    page.on('request', (r) => inFlight.add(r));
    for (const done of ['requestfinished', 'requestfailed']) page.on(done, (r) => inFlight.delete(r));
    // Each state the panel's root takes, with the scene's running work at that moment.
    await page.addInitScript(() => {
      window.__states = [];
      new MutationObserver(() => {
        const state = document.querySelector('[data-testid=codex-flow-panel]')?.dataset.state;
        if (state && state !== window.__states.at(-1)?.[0]) window.__states.push([state, window.__grafanaRunningQueryCount ?? 0]);
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });
    await page.goto(`${base}/d-solo/codex-pipeline-observability?panelId=${id}&${seen.key}=${seen.at}~jangar`, { waitUntil: 'commit' });
    // Captured when the renderer would capture it: drawn by then, not loading.
    await rendererReady(page, inFlight);
    const states = await page.evaluate(() => window.__states);
    assert.ok(states.length >= 2 && states.every(([st, running]) => st === 'ready' || running > 0), `the renderer is held while the panel loads: ${JSON.stringify(states)}`);
    assert.equal(await page.evaluate(() => window.__grafanaRunningQueryCount), 0, 'and let go once it is drawn');
    const state = await page.evaluate(() => document.querySelector('[data-testid=codex-flow-panel]')?.dataset.state ?? 'not there');
    assert.equal(state, 'ready', 'the panel held the renderer until it drew its answer');
    assert.equal(await page.getByTestId('codex-flow-drilldown').getAttribute('data-stage'), 'jangar');
    await page.getByTestId('codex-flow-travel').waitFor();
    // The instant; how far apart alert values are sent depends on the panel's width, which differs here.
    const instant = (text) => text.split(' · ')[0];
    assert.equal(instant(await page.getByTestId('codex-flow-travel').innerText()), instant(seen.travel), 'the same instant');
    const box = await flow.boundingBox();
    assert.ok(box.width > 900 && box.height > 400, `the panel fills the page: ${JSON.stringify(box)}`);
    assert.equal(await page.getByTestId('dashboard-title').count(), 0, 'no dashboard chrome');
    await page.screenshot({ path: `${shots}/share-d-solo.png` });
    await page.goto(`${base}/d-solo/codex-pipeline-observability?panelId=4242`);
    await page.getByTestId('panel-not-found').waitFor();
    await page.setViewportSize(viewport);
  });
});
