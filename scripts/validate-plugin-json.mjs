// Validates every plugin.json of the package against Grafana's schema (tests/fixtures/reference/plugin.schema.json,
// a copy of ../shared/reference/plugin.schema.json that scripts/test.sh keeps in step)
// and checks that the app's `includes` match the nested plugins. Usage: node scripts/validate-plugin-json.mjs <dist>
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const dist = process.argv[2] ?? 'dist';
const schemaPath = process.env.PLUGIN_SCHEMA ?? 'tests/fixtures/reference/plugin.schema.json';
// The schema's patterns use escapes such as \- that are invalid under the u flag; compile them as draft-07 does.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
let passed = 0, failed = 0;
const check = (name, ok, detail = '') => {
  if (ok) { passed++; console.log(`ok - ${name}`); } else { failed++; console.log(`not ok - ${name} ${detail}`); }
};
const read = (p) => JSON.parse(readFileSync(p, 'utf8'));

const app = read(join(dist, 'plugin.json'));
check('dist/plugin.json is valid', validate(app), JSON.stringify(validate.errors));
check('the app runs a backend named gpx_codexflow', app.type === 'app' && app.backend === true && app.executable === 'gpx_codexflow');
check('no build-time placeholders are left', !JSON.stringify(app).includes('%'));
check('the app has its module.js', existsSync(join(dist, 'module.js')));
for (const include of app.includes ?? []) {
  if (include.type !== 'panel' && include.type !== 'datasource') continue;
  const path = join(dist, include.path);
  check(`include ${include.path} exists`, existsSync(path));
  if (!existsSync(path)) continue;
  const nested = read(path);
  check(`${include.path} is valid`, validate(nested), JSON.stringify(validate.errors));
  check(`${include.path} is a ${include.type} named ${include.name}`, nested.type === include.type && nested.name === include.name);
  check(`${include.path} has its module.js`, existsSync(join(dirname(path), 'module.js')));
  // Grafana starts a nested backend from its own folder and `executable` (pkg/plugins/plugins.go,
  // ExecutablePath): `../gpx_codexflow` is the app's binary, started once more for this plugin.
  if (nested.backend) {
    for (const arch of ['amd64', 'arm64']) {
      check(`${include.path}'s executable is there for ${arch}`, existsSync(join(dirname(path), `${nested.executable}_linux_${arch}`)));
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
