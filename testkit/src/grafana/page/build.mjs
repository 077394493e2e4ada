// Builds the dev host's page into target/harness: host.js (React, react-dom, @grafana/data and
// @grafana/runtime from npm, bundled) next to SystemJS and its AMD extra, as Grafana ships them.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const out = 'target/harness';
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ['testkit/src/grafana/page/host.ts'],
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
// Grafana 11.1 onwards bundles SystemJS 6.15.1 (its AMD extra sets `module.uri`); 10.2 to 11.0 bundle 6.14.
for (const [pkg, dir] of [['systemjs', 'systemjs-6.15.1'], ['systemjs-before-6.15', 'systemjs-6.14.2']]) {
  mkdirSync(`${out}/${dir}`, { recursive: true });
  copyFileSync(`node_modules/${pkg}/dist/system.js`, `${out}/${dir}/system.js`);
  copyFileSync(`node_modules/${pkg}/dist/extras/amd.js`, `${out}/${dir}/amd.js`);
}
copyFileSync('testkit/src/grafana/page/index.html', `${out}/index.html`);
copyFileSync('img/logo.svg', `${out}/favicon.svg`);
