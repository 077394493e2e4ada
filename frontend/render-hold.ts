// Holding Grafana's image renderer until the flow panel has drawn its answer. The renderer (and alert
// screenshots and reports through it) captures a Scenes dashboard once no request is in flight and
// `window.__grafanaRunningQueryCount` is 0 (grafana/grafana-image-renderer `pkg/service/browser.go`,
// `waitForReady`). That count is the dashboard's query controller's (grafana/scenes
// `packages/scenes/src/behaviors/SceneQueryController.ts`, found from the scene as
// `sceneGraph.getQueryController` finds it); a panel that loads its WebAssembly and then asks its own
// backend would otherwise leave a moment with neither, and be captured loading. So the panel counts
// itself as running work there, as Grafana's own panels do when rendered for an image
// (`holdRenderReadiness`), until its root says it is drawn (`data-state` ready, error or unconfigured),
// for at most 30 s, and only where Grafana renders for an image (`isRenderTarget`: the solo route, the
// renderer's message channel, or a user signed in by a render key).
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
const SETTLED = ['ready', 'error', 'unconfigured'];

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
 * Counts the panel under `element` as running work while it is not drawn; returns the cleanup that
 * stops watching and releases any hold.
 */
export function holdUntilDrawn(element: HTMLElement): () => void {
  const found = isRenderTarget() ? queryController() : null;
  if (!found) return () => {};
  let entry: object | null = null;
  let timer = 0;
  const release = () => {
    if (!entry) return;
    found.controller.queryCompleted(entry);
    entry = null;
    window.clearTimeout(timer);
  };
  const check = () => {
    const state = element.querySelector('[data-testid=codex-flow-panel]')?.getAttribute('data-state');
    if (state && SETTLED.includes(state)) return release();
    if (entry) return;
    entry = { type: 'plugin', origin: found.scene, cancel: release };
    found.controller.queryStarted(entry);
    timer = window.setTimeout(release, MAX_HOLD_MS);
  };
  const observer = new MutationObserver(check);
  observer.observe(element, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  check();
  return () => {
    observer.disconnect();
    release();
  };
}
