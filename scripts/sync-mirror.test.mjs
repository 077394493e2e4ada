// The build mirror (scripts/sync-mirror.sh) with a real git and cargo: fresh clones in different folders
// are synced into one mirror and built there, as scripts/test.sh does in CI. What is built must be what
// the clone holds (the program prints its library's answer, a file it includes from outside its crate,
// and its crate's folder), and what did not change must not be compiled again.
// Run: node --test scripts/sync-mirror.test.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';

const sync = join(import.meta.dirname, 'sync-mirror.sh');
const work = mkdtempSync(join(tmpdir(), 'codexflow-mirror-test-'));
after(() => rmSync(work, { recursive: true, force: true }));
const mirror = join(work, 'mirror');
const env = { ...process.env };
delete env.CARGO_TARGET_DIR; // the mirror's own target/, as in a test run
const run = (cwd, cmd, ...args) => execFileSync(cmd, args, { cwd, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
const write = (root, path, text) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

// origin: a library `lib`, and a program `app` printing lib's answer, a data file from the workspace's
// root (outside its crate: cargo records it by absolute path) and its crate's folder.
const origin = join(work, 'origin');
write(origin, 'Cargo.toml', '[workspace]\nmembers = ["lib", "app"]\nresolver = "2"\n');
write(origin, '.gitignore', '/target\n/Cargo.lock\n');
write(origin, 'lib/Cargo.toml', '[package]\nname = "lib"\nversion = "0.1.0"\nedition = "2021"\n');
write(origin, 'app/Cargo.toml', '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nlib = { path = "../lib" }\n');
write(origin, 'app/src/main.rs', 'fn main() { println!("{} {} {}", lib::answer(), include_str!("../../data.txt").trim(), env!("CARGO_MANIFEST_DIR")); }\n');
const answer = (root, n) => write(root, 'lib/src/lib.rs', `pub fn answer() -> u32 { ${n} }\n`);
answer(origin, 1);
write(origin, 'data.txt', 'first\n');
write(origin, 'old.txt', 'removed later\n');
const commit = (message) => {
  run(origin, 'git', 'add', '-A');
  run(origin, 'git', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', message);
  return run(origin, 'git', 'rev-parse', 'HEAD').trim();
};
run(origin, 'git', 'init', '-q');
const first = commit('answer 1, data first');
answer(origin, 2);
rmSync(join(origin, 'old.txt'));
const second = commit('answer 2, old.txt removed');
write(origin, 'data.txt', 'third\n');
const third = commit('data third');

let clones = 0;
/** A fresh clone at `rev` in a folder of its own, `edit` applied to it, synced into the mirror, built. */
function buildFrom(rev, edit = () => {}) {
  const clone = join(work, `clone-${(clones += 1)}`);
  run(work, 'git', 'clone', '-q', origin, clone);
  run(clone, 'git', 'checkout', '-q', rev);
  edit(clone);
  const synced = run(clone, 'bash', sync, clone, mirror);
  const cargo = spawnSync('cargo', ['build', '-v'], { cwd: mirror, encoding: 'utf8', env });
  assert.equal(cargo.status, 0, cargo.stderr);
  rmSync(clone, { recursive: true, force: true }); // CI's clone is gone by the next run
  return { synced, compiled: cargo.stderr, printed: run(mirror, join(mirror, 'target', 'debug', 'app')).trim() };
}
const appDir = join(mirror, 'app');

test('a clone of what was built compiles nothing; every other content is compiled, also going back', () => {
  assert.equal(buildFrom(first).printed, `1 first ${appDir}`);
  assert.ok(existsSync(join(mirror, 'old.txt')));

  const again = buildFrom(first);
  assert.match(again.synced, / 0 written, \d+ unchanged, 0 removed/);
  assert.doesNotMatch(again.compiled, /Compiling/, again.compiled);
  assert.match(again.compiled, /Fresh lib/);
  assert.equal(again.printed, `1 first ${appDir}`);

  // The next commit changes lib and removes a file: lib and app are compiled, the file is gone.
  const next = buildFrom(second);
  assert.match(next.compiled, /Compiling lib/);
  assert.equal(next.printed, `2 first ${appDir}`);
  assert.ok(!existsSync(join(mirror, 'old.txt')), 'a file no longer tracked leaves the mirror');
  // A file included from outside the crate changes: the program is compiled with it.
  assert.equal(buildFrom(third).printed, `2 third ${appDir}`);
  // Back to the first commit: built once before, but what is built now is the third's.
  assert.equal(buildFrom(first).printed, `1 first ${appDir}`);
  // An uncommitted edit and a new file git does not ignore count as what is on disk.
  const edited = buildFrom(first, (clone) => {
    answer(clone, 7);
    write(clone, 'notes.txt', 'untracked\n');
  });
  assert.equal(edited.printed, `7 first ${appDir}`);
  assert.ok(existsSync(join(mirror, 'notes.txt')));
});

test("what the mirror's builds made is kept; an unchanged file keeps its time and a mode change follows", () => {
  buildFrom(third);
  const kept = join(mirror, 'target', 'debug', 'app');
  assert.ok(existsSync(kept), 'target/ survives the sync');
  const before = statSync(join(mirror, 'lib', 'src', 'lib.rs')).mtimeMs;
  const after_ = buildFrom(third, (clone) => execFileSync('chmod', ['+x', join(clone, 'data.txt')]));
  assert.equal(statSync(join(mirror, 'lib', 'src', 'lib.rs')).mtimeMs, before, 'unchanged content keeps its time');
  assert.ok(statSync(join(mirror, 'data.txt')).mode & 0o100, 'the executable bit follows');
  assert.doesNotMatch(after_.compiled, /Compiling/, 'a mode change alone compiles nothing');
});
