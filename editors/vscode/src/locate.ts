// Finds the `rulec` binary: the configured `rulec.serverPath` when set, else `rulec` on the PATH,
// else `~/.cargo/bin/rulec` (where `cargo install` puts it, often missing from an editor's PATH).
// A candidate counts only when it runs `rulec --version` and prints a version line, so a stale or
// wrong binary is reported here, once, instead of as a crashing language server.

import { execFile } from "child_process";
import { accessSync, constants } from "fs";
import { homedir } from "os";
import { delimiter, isAbsolute, join } from "path";

/** A binary that answered `--version`, and its version line. */
export interface Found {
  path: string;
  version: string;
}

/** Why no binary could be used: one line per candidate tried, for one error message. */
export interface NotFound {
  tried: string[];
}

const EXE = process.platform === "win32" ? "rulec.exe" : "rulec";

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `name` looked up in the directories of `PATH`, as a shell would; undefined when absent. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && executable(join(dir, name))) {
      return join(dir, name);
    }
  }
  return undefined;
}

/** Runs `path --version`; resolves to its first output line, or rejects with a short reason. */
function version(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path, ["--version"], { timeout: 10_000 }, (err, stdout) => {
      const line = stdout.split("\n")[0].trim();
      if (err) {
        reject(new Error(err.code === "ENOENT" ? "not found" : `\`--version\` failed (${err.message.split("\n")[0]})`));
      } else if (!line.startsWith("rulec ")) {
        reject(new Error(`\`--version\` printed ${JSON.stringify(line)}, not a rulec version`));
      } else {
        resolve(line);
      }
    });
  });
}

/**
 * The binary to start. `configured` is `rulec.serverPath` ("" when unset): when set, it is the
 * only candidate (a user who names a binary wants that one, not a silent fallback); a bare name
 * is looked up on the PATH, a relative path is taken from `root`.
 */
export async function locateRulec(configured: string, root: string | undefined, env = process.env): Promise<Found | NotFound> {
  const candidates: string[] = [];
  if (configured !== "") {
    if (isAbsolute(configured) || !configured.includes("/")) {
      candidates.push(isAbsolute(configured) ? configured : (onPath(configured, env) ?? configured));
    } else {
      candidates.push(join(root ?? process.cwd(), configured));
    }
  } else {
    const fromPath = onPath(EXE, env);
    if (fromPath !== undefined) {
      candidates.push(fromPath);
    }
    candidates.push(join(env.CARGO_HOME ?? join(homedir(), ".cargo"), "bin", EXE));
  }
  const tried: string[] = [];
  for (const path of candidates) {
    try {
      return { path, version: await version(path) };
    } catch (err) {
      tried.push(`${path}: ${(err as Error).message}`);
    }
  }
  if (configured === "" && candidates.length === 1) {
    tried.unshift(`${EXE} on the PATH: not found`);
  }
  return { tried };
}
