// The real-editor test of the rulec extension: installs the built .vsix into code-server
// (VS Code 1.100.3), opens a workspace holding the upstream falco_rules.yaml and a user's rules
// files with mistakes (e2e/workspace/), with no rulec setting at all, and checks what a user sees,
// from the workbench's DOM in Chromium. `rulec` is found on the PATH, as a user's would be.
//
//   node run.mjs --code-server DIR --vsix FILE --rulec BIN --falco-rules FILE --screenshots DIR
//                [--broken]
//
// --broken puts a `rulec` there that answers `--version` and exits at once when started as
// a server: the diagnostics step must then fail, and the user must get one error message. Exits 1
// when a step fails; prints one PASS/FAIL line per step.

import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { steps, brokenSteps } from "./steps.mjs";

const here = dirname(fileURLToPath(import.meta.url));

function options() {
  const args = process.argv.slice(2);
  const out = { broken: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--broken") out.broken = true;
    else if (a.startsWith("--") && i + 1 < args.length) out[a.slice(2).replace(/-(.)/g, (_, c) => c.toUpperCase())] = args[++i];
    else throw new Error(`unexpected argument ${a}`);
  }
  for (const k of ["codeServer", "vsix", "rulec", "falcoRules", "screenshots"]) {
    if (!out[k]) throw new Error(`missing --${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }
  return out;
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function waitHealthy(url, child) {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${url} within 60 s`);
}

/** A temporary home for one run: the workspace, the PATH folder, VS Code's data folders. */
function prepare(opt, tmp) {
  const ws = join(tmp, "workspace");
  mkdirSync(ws);
  for (const f of readdirSync(join(here, "workspace"))) copyFileSync(join(here, "workspace", f), join(ws, f));
  copyFileSync(opt.falcoRules, join(ws, "falco_rules.yaml"));
  // rulec where `cargo install` puts it, in a home of its own: VS Code's server takes the
  // extension host's PATH from a login shell (Debian's /etc/profile resets it), so a PATH set
  // here would not reach the extension; ~/.cargo/bin is one of the places it looks.
  const home = join(tmp, "home");
  const bin = join(home, ".cargo", "bin");
  mkdirSync(bin, { recursive: true });
  if (opt.broken) {
    writeFileSync(join(bin, "rulec"), '#!/bin/sh\n[ "$1" = --version ] && echo "rulec 0.0.0-broken" && exit 0\nexit 3\n');
    chmodSync(join(bin, "rulec"), 0o755);
  } else {
    symlinkSync(resolve(opt.rulec), join(bin, "rulec"));
  }
  const data = join(tmp, "data");
  mkdirSync(join(data, "User"), { recursive: true });
  // Editor settings only, none of rulec's: the workspace opens as a new user's would.
  writeFileSync(
    join(data, "User", "settings.json"),
    JSON.stringify({
      "security.workspace.trust.enabled": false,
      "terminal.integrated.gpuAcceleration": "off",
      "workbench.startupEditor": "none",
      "files.autoSave": "off",
      "workbench.tips.enabled": false,
      "telemetry.telemetryLevel": "off",
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "update.mode": "none",
    }),
  );
  return { ws, home, data, exts: join(tmp, "extensions") };
}

async function main() {
  const opt = options();
  const tmp = mkdtempSync(join(tmpdir(), "rulec-vscode-e2e-"));
  const dirs = prepare(opt, tmp);
  mkdirSync(opt.screenshots, { recursive: true });
  const entry = join(opt.codeServer, "out", "node", "entry.js");
  const common = ["--user-data-dir", dirs.data, "--extensions-dir", dirs.exts];
  const install = spawnSync(process.execPath, [entry, ...common, "--install-extension", resolve(opt.vsix)], { encoding: "utf8" });
  if (install.status !== 0) throw new Error(`installing the .vsix failed:\n${install.stdout}${install.stderr}`);

  const port = await freePort();
  const env = { ...process.env, HOME: dirs.home };
  delete env.CARGO_HOME;
  const server = spawn(process.execPath, [entry, ...common, "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", dirs.ws], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let serverLog = "";
  server.stdout.on("data", (d) => (serverLog += d));
  server.stderr.on("data", (d) => (serverLog += d));
  let browser;
  let failed = 0;
  try {
    await waitHealthy(`http://127.0.0.1:${port}/healthz`, server);
    browser = await puppeteer.launch({
      executablePath: process.env.RULEC_E2E_CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800"],
      defaultViewport: { width: 1280, height: 800 },
    });
    const page = await browser.newPage();
    const t0 = Date.now();
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.ws)}`);
    await page.waitForSelector(".monaco-workbench .part.editor", { visible: true, timeout: 60_000 });
    console.log(`workbench loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const ctx = { page, ws: dirs.ws, read: (f) => readFileSync(join(dirs.ws, f), "utf8") };
    let n = 0;
    for (const step of opt.broken ? brokenSteps : steps) {
      const start = Date.now();
      const shot = join(opt.screenshots, `${String(++n).padStart(2, "0")}-${step.name.replace(/\W+/g, "-")}.png`);
      // A step may take its screenshot itself, at the moment worth seeing (a widget it then closes).
      let shotTaken = false;
      ctx.shot = async () => {
        shotTaken = true;
        await page.screenshot({ path: shot });
      };
      try {
        await step.run(ctx);
        console.log(`PASS ${step.name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
      } catch (err) {
        failed++;
        console.log(`FAIL ${step.name}${step.needs ? ` [needs ${step.needs}]` : ""}: ${err.message}`);
      }
      if (!shotTaken) await page.screenshot({ path: shot });
    }
  } finally {
    await browser?.close().catch(() => undefined);
    server.kill("SIGTERM");
    if (failed > 0 && process.env.RULEC_E2E_VERBOSE) console.log(serverLog);
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`screenshots: ${opt.screenshots}`);
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((err) => {
  console.error(`e2e: ${err.stack ?? err}`);
  process.exit(2);
});
