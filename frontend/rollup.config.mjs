// Bundles module.ts and the wasm-bindgen glue into one AMD module, as Grafana's plugin tooling does,
// with Grafana's shared modules left external (Grafana provides them through SystemJS).
import { transform } from 'esbuild';
import terser from '@rollup/plugin-terser';

const external = ['module', 'react', 'react-dom', '@grafana/data', '@grafana/runtime', '@grafana/ui', '@emotion/css', 'rxjs', 'lodash'];

/** Strips TypeScript types with esbuild; type checking is `npm run typecheck`. */
const typescript = {
  name: 'esbuild-ts',
  async transform(code, id) {
    if (!id.endsWith('.ts')) return null;
    const out = await transform(code, { loader: 'ts', target: 'es2020', sourcemap: true, sourcefile: id });
    return { code: out.code, map: out.map };
  },
};

const output = (file) => ({ file, format: 'amd', sourcemap: true, interop: 'auto' });

export default [
  {
    input: 'frontend/module.ts',
    external,
    plugins: [typescript, terser({ format: { comments: false } })],
    output: output('dist/panel/module.js'),
  },
  {
    input: 'frontend/datasource/module.ts',
    external,
    plugins: [typescript, terser({ format: { comments: false } })],
    output: output('dist/datasource/module.js'),
  },
  {
    input: 'frontend/app/module.ts',
    external,
    plugins: [typescript, terser({ format: { comments: false } })],
    output: output('dist/module.js'),
  },
];
