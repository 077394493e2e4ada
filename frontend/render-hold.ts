// Holding Grafana's image renderer until the flow panel has drawn its answer. The renderer (and alert
// screenshots and reports through it) captures a Scenes dashboard once no request is in flight and
// `window.__grafanaRunningQueryCount` is 0 (grafana/grafana-image-renderer `pkg/service/browser.go`,
// `waitForReady`). That count is the dashboard's query controller's (grafana/scenes
// `packages/scenes/src/behaviors/SceneQueryController.ts`, found from the scene as
// `sceneGraph.getQueryController` finds it); a panel that loads its WebAssembly and then asks its own
// backend would otherwise leave a moment with neither, and be captured loading. So the panel counts
// itself as running work there, as Grafana's own panels do when rendered for an image
// (`holdRenderReadiness`), once: from its mount until its root says it has drawn (`data-settled`: an
// answer, or why there is none), for at most 30 s, and only where Grafana renders for an image
// (`isRenderTarget`: the solo route, the renderer's message channel, or a user signed in by a render key).
import { config, locationService } from '@grafana/runtime';

interface QueryController {
  queryStarted(entry: object): void;
  queryCompleted(entry: object): void;
}
interface SceneLike {
  parent?: SceneLike;
  state?: { $behaviors?: unknown[] };
}

const MAX_HOLD_MS = 30_000;
/** The panel's root once it has drawn (`Phase::is_settled`). */
const SETTLED = '[data-testid=codex-flow-panel][data-settled]';

function isRenderTarget(): boolean {
  const w = window as unknown as { __grafanaImageRendererMessageChannel?: unknown };
  const user = (config as unknown as { bootData?: { user?: { authenticatedBy?: string } } }).bootData?.user;
  return locationService.getLocation().pathname.includes('/d-solo/') || typeof w.__grafanaImageRendererMessageChannel === 'function' || user?.authenticatedBy === 'render';
}

function queryController(): { controller: QueryController; scene: SceneLike } | null {
  const scene = (window as unknown as { __grafanaSceneContext?: SceneLike }).__grafanaSceneContext;
  for (let o = scene; o; o = o.parent) {
    const found = (o.state?.$behaviors ?? []).find((b) => typeof b === 'object' && b !== null && 'isQueryController' in b);
    if (found && scene) return { controller: found as unknown as QueryController, scene };
  }
  return null;
}

/**
 * Counts the panel under `element` as running work until it has drawn, once; returns the cleanup
 * that stops watching and releases the hold.
 */
export function holdUntilDrawn(element: HTMLElement): () => void {
  const found = isRenderTarget() ? queryController() : null;
  if (!found) return () => {};
  const entry = { type: 'plugin', origin: found.scene, cancel: () => done() };
  found.controller.queryStarted(entry);
  let held = true;
  const observer = new MutationObserver(() => {
    if (element.querySelector(SETTLED)) done();
  });
  const timer = window.setTimeout(() => done(), MAX_HOLD_MS);
  function done() {
    if (!held) return;
    held = false;
    observer.disconnect();
    window.clearTimeout(timer);
    found!.controller.queryCompleted(entry);
  }
  observer.observe(element, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-settled'] });
  if (element.querySelector(SETTLED)) done();
  return done;
}
