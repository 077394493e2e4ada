// Builds the dev host's page into target/harness: host.js (React, react-dom, @grafana/data and
// @grafana/runtime from npm, bundled) next to SystemJS and its AMD extra, as Grafana ships them.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const out = 'target/harness';
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ['frontend/harness/host.ts'],
  bundle: true,
  format: 'iife',
  outfile: `${out}/host.js`,
  target: 'es2020',
  minify: process.env.HARNESS_DEBUG ? false : true,
  // UMD libraries (lodash) must not see SystemJS's global AMD `define` and register themselves
  // through it instead of module.exports; webpack, which Grafana uses, does the same.
  define: { 'process.env.NODE_ENV': '"production"', global: 'window', define: 'undefined' },
  logLevel: 'warning',
  loader: { '.woff': 'empty', '.woff2': 'empty', '.svg': 'empty', '.png': 'empty', '.css': 'empty' },
});
copyFileSync('node_modules/systemjs/dist/system.js', `${out}/system.js`);
copyFileSync('node_modules/systemjs/dist/extras/amd.js', `${out}/amd.js`);
copyFileSync('frontend/harness/index.html', `${out}/index.html`);
copyFileSync('img/logo.svg', `${out}/favicon.svg`);
