// Tests of src/locate.ts (finding the rulec binary) against real files: fake `rulec` scripts in a
// temporary PATH folder and a temporary ~/.cargo/bin. Run by `npm test` (node --test); the module
// is bundled on the fly with esbuild, as the extension is.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

let tmp;
let locateRulec;

function script(dir, body) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "rulec");
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "rulec-locate-"));
  const out = join(tmp, "locate.mjs");
  await esbuild.build({ entryPoints: [new URL("../src/locate.ts", import.meta.url).pathname], bundle: true, platform: "node", format: "esm", outfile: out, logLevel: "error" });
  ({ locateRulec } = await import(pathToFileURL(out).href));
});

after(() => rmSync(tmp, { recursive: true, force: true }));

const good = 'echo "rulec 0.1.0"';

test("rulec on the PATH comes before ~/.cargo/bin", async () => {
  const onPath = script(join(tmp, "a", "bin"), good);
  script(join(tmp, "a", "cargo", "bin"), good);
  const found = await locateRulec("", undefined, { PATH: join(tmp, "a", "bin"), CARGO_HOME: join(tmp, "a", "cargo") });
  assert.deepEqual(found, { path: onPath, version: "rulec 0.1.0" });
});

test("~/.cargo/bin when the PATH has no rulec", async () => {
  const cargo = script(join(tmp, "b", "cargo", "bin"), good);
  const found = await locateRulec("", undefined, { PATH: join(tmp, "b", "empty"), CARGO_HOME: join(tmp, "b", "cargo") });
  assert.equal(found.path, cargo);
});

test("a broken rulec on the PATH falls through to ~/.cargo/bin, and is named when nothing works", async () => {
  const broken = script(join(tmp, "c", "bin"), "exit 3");
  const cargo = script(join(tmp, "c", "cargo", "bin"), good);
  const env = { PATH: join(tmp, "c", "bin"), CARGO_HOME: join(tmp, "c", "cargo") };
  assert.equal((await locateRulec("", undefined, env)).path, cargo);
  rmSync(cargo);
  const none = await locateRulec("", undefined, env);
  assert.equal(none.path, undefined);
  assert.equal(none.tried.length, 2);
  assert.match(none.tried[0], new RegExp(`^${broken}: \`--version\` failed`));
  assert.match(none.tried[1], /cargo\/bin\/rulec: not found$/);
});

test("a binary that is not rulec is refused", async () => {
  const other = script(join(tmp, "d", "bin"), 'echo "something 1.0"');
  const found = await locateRulec(other, undefined, { PATH: "" });
  assert.deepEqual(found.tried, [`${other}: \`--version\` printed "something 1.0", not a rulec version`]);
});

test("a configured path is the only candidate; a relative one is taken from the workspace root", async () => {
  script(join(tmp, "e", "bin"), good);
  const local = script(join(tmp, "e", "root", "tools"), good);
  const env = { PATH: join(tmp, "e", "bin"), CARGO_HOME: join(tmp, "e", "cargo") };
  assert.equal((await locateRulec("tools/rulec", join(tmp, "e", "root"), env)).path, local);
  const missing = await locateRulec("/nonexistent/rulec", undefined, env);
  assert.deepEqual(missing.tried, ["/nonexistent/rulec: not found"]);
});

test("nothing anywhere: one line for the PATH and one for ~/.cargo/bin", async () => {
  const none = await locateRulec("", undefined, { PATH: join(tmp, "f", "empty"), CARGO_HOME: join(tmp, "f", "cargo") });
  assert.deepEqual(none.tried, ["rulec on the PATH: not found", `${join(tmp, "f", "cargo", "bin", "rulec")}: not found`]);
});
