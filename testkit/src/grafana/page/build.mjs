// Builds the dev host's pages into target/harness, one per Grafana line it plays (boot.rs, Page::page_dir):
//   grafana-12/host.js  React 18, @grafana/data and @grafana/runtime 12.4 (the root package.json)
//   grafana-13/host.js  React 19, @grafana/data and @grafana/runtime 13.2 (./grafana-13/package.json)
// Each bundles host.ts with its line's shared modules; next to them SystemJS and its AMD extra, as
// Grafana ships them.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = 'target/harness';
const page = dirname(fileURLToPath(import.meta.url));
/** The modules Grafana shares with plugins that the page hands over (host.ts, `shared`). */
const sharedModule = /^(react|react-dom|@grafana\/data|@grafana\/runtime)(\/.*)?$/;

/**
 * Resolves the page's own imports of the shared modules from `dir`'s node_modules; what those
 * packages import resolves from where they are, so each page holds one consistent tree.
 */
const sharedModulesFrom = (dir) => ({
  name: 'shared-modules-from',
  setup(b) {
    b.onResolve({ filter: sharedModule }, (args) => {
      if (args.importer.includes('node_modules') || args.pluginData?.fromDir) return undefined;
      return b.resolve(args.path, { kind: args.kind, resolveDir: dir, pluginData: { fromDir: true } });
    });
  },
});

const pages = [
  { dir: 'grafana-12', modules: resolve('.') },
  { dir: 'grafana-13', modules: resolve(page, 'grafana-13') },
];
for (const { dir, modules } of pages) {
  if (!existsSync(`${modules}/node_modules/react`)) {
    throw new Error(`${modules}/node_modules is missing: run scripts/setup.sh (npm ci there)`);
  }
  await build({
    entryPoints: [`${page}/host.ts`],
    bundle: true,
    format: 'iife',
    outfile: `${out}/${dir}/host.js`,
    target: 'es2020',
    minify: process.env.HARNESS_DEBUG ? false : true,
    // UMD libraries (lodash) must not see SystemJS's global AMD `define` and register themselves
    // through it instead of module.exports; webpack, which Grafana uses, does the same.
    define: { 'process.env.NODE_ENV': '"production"', global: 'window', define: 'undefined' },
    logLevel: 'warning',
    loader: { '.woff': 'empty', '.woff2': 'empty', '.svg': 'empty', '.png': 'empty', '.css': 'empty' },
    plugins: [sharedModulesFrom(modules)],
  });
}
// Grafana 11.1 onwards bundles SystemJS 6.15.1 (its AMD extra sets `module.uri`); 10.2 to 11.0 bundle 6.14.
for (const [pkg, dir] of [['systemjs', 'systemjs-6.15.1'], ['systemjs-before-6.15', 'systemjs-6.14.2']]) {
  mkdirSync(`${out}/${dir}`, { recursive: true });
  copyFileSync(`node_modules/${pkg}/dist/system.js`, `${out}/${dir}/system.js`);
  copyFileSync(`node_modules/${pkg}/dist/extras/amd.js`, `${out}/${dir}/amd.js`);
}
copyFileSync(`${page}/index.html`, `${out}/index.html`);
copyFileSync('img/logo.svg', `${out}/favicon.svg`);
