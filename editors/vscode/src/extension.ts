// The rulec extension: finds the `rulec` binary (src/locate.ts) and starts `rulec lsp` once the
// workspace holds rules-looking files or a YAML document that looks like rules is opened
// (src/rulesFiles.ts). Every YAML document then goes to the server, which decides by content which
// ones are rules files. Highlighting of conditions and outputs comes from the TextMate injection
// grammar (syntaxes/) and, once the server runs, from its semantic tokens.
//
// In Restricted Mode (an untrusted workspace) the server still runs, but only a binary named in
// user settings (package.json lists `rulec.serverPath` as a restricted configuration) or found on
// the PATH or in ~/.cargo/bin; the "Run tests" lens, which runs a command in a terminal, is off.

import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
} from "vscode-languageclient/node";
import { locateRulec } from "./locate";
import { isRulesDocument, rulesFilePatterns, workspaceHasRulesFiles } from "./rulesFiles";

/** A server that stops more often than this within `CRASH_WINDOW_MS` is left stopped. */
const MAX_RESTARTS = 3;
const CRASH_WINDOW_MS = 3 * 60 * 1000;

/** A client that logs its errors to the output channel and leaves telling the user to `start`. */
class QuietClient extends LanguageClient {
  public error(message: string, data?: unknown): void {
    super.error(message, data, false);
  }
}

let client: LanguageClient | undefined;
let binary: string | undefined;
let status: vscode.StatusBarItem;
let output: vscode.OutputChannel;

/** `s` as one POSIX shell word. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** `s` matched literally by a regular expression (`rulec test --filter` takes one). */
function regexEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("rulec");
}

function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** Shows one error pop-up with a button to the setting that fixes it (not awaited: it stays up). */
async function fail(message: string): Promise<void> {
  status.text = "$(error) rulec";
  status.tooltip = message;
  status.show();
  output.appendLine(message);
  const choice = await vscode.window.showErrorMessage(message, "Open Settings");
  if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "rulec.serverPath");
  }
}

async function start(): Promise<void> {
  const configured = config().get<string>("serverPath", "").trim();
  const found = await locateRulec(configured, workspaceRoot());
  if (!("path" in found)) {
    const where = configured === "" ? "on the PATH or in ~/.cargo/bin" : `at "rulec.serverPath" (${configured})`;
    void fail(
      `rulec: no working rulec binary ${where} (${found.tried.join("; ")}). ` +
        `Install it with \`cargo install --path .\` in rulec's repository, or set "rulec.serverPath".`,
    );
    return;
  }
  binary = found.path;
  output.appendLine(`starting ${found.path} lsp (${found.version})`);
  // However the server fails (at start, or by stopping again and again), the user hears once.
  let reported = false;
  const report = (message: string): void => {
    if (!reported) {
      reported = true;
      void fail(message);
    }
  };
  const serverOptions: ServerOptions = { command: found.path, args: ["lsp"] };
  const crashes: number[] = [];
  const clientOptions: LanguageClientOptions = {
    // Every YAML document: the server tells rules files from other YAML by content.
    documentSelector: [
      { language: "yaml", scheme: "file" },
      { language: "yaml", scheme: "untitled" },
    ],
    initializationOptions: {
      rulesFiles: config().get<string[]>("rulesFiles", []),
      stdlib: config().get<boolean>("stdlib", true),
    },
    // Sends `workspace/didChangeConfiguration` with `{ rulec: {...} }` when settings change.
    synchronize: { configurationSection: "rulec" },
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationFailedHandler: (err) => {
      report(`rulec: \`${found.path} lsp\` failed to start (${String(err)}).`);
      return false;
    },
    // One message when the server keeps stopping, instead of one per restart.
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => {
        const now = Date.now();
        crashes.push(now);
        while (crashes.length > 0 && now - crashes[0] > CRASH_WINDOW_MS) {
          crashes.shift();
        }
        if (crashes.length <= MAX_RESTARTS) {
          return { action: CloseAction.Restart, handled: true };
        }
        report(`rulec: the language server (\`${found.path} lsp\`) stopped ${crashes.length} times; it is not restarted. See the "rulec" output.`);
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
  };
  client = new QuietClient("rulec", "rulec", serverOptions, clientOptions);
  try {
    await client.start();
    status.text = "$(shield) rulec";
    status.tooltip = `${found.version} (${found.path})`;
    status.show();
  } catch (err) {
    report(`rulec: \`${found.path} lsp\` failed to start (${String(err)}).`);
  }
}

async function stop(): Promise<void> {
  if (client) {
    const c = client;
    client = undefined;
    await c.stop().catch(() => undefined);
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}

function runTests(rule?: string): void {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage("rulec: running tests is off in Restricted Mode; trust the workspace to run them.");
    return;
  }
  const bin = binary ?? "rulec";
  const filter = rule === undefined ? "" : ` --filter ${shellQuote(`^${regexEscape(rule)}$`)}`;
  const terminal = vscode.window.createTerminal({ name: "rulec test", cwd: workspaceRoot() });
  terminal.show();
  terminal.sendText(`${shellQuote(bin)} test${filter}`);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("rulec");
  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 10);
  status.name = "rulec";
  status.command = "rulec.restartServer";
  let started = false;
  const startOnce = async (): Promise<void> => {
    if (!started) {
      started = true;
      await start();
    }
  };
  context.subscriptions.push(
    output,
    status,
    // The code lens "Run tests" carries this command with the rule's name: run the golden
    // tests that name the rule, `rulec test --filter '^NAME$'`, in a terminal.
    vscode.commands.registerCommand("rulec.runTests", runTests),
    vscode.commands.registerCommand("rulec.restartServer", async () => {
      started = true;
      await restart();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      // The binary is fixed when the client starts; the rules files are not (the server gets
      // them through didChangeConfiguration).
      if (started && e.affectsConfiguration("rulec.serverPath")) {
        await restart();
      }
    }),
    // A trusted workspace may name its own binary in "rulec.serverPath".
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      if (started) {
        await restart();
      }
    }),
    vscode.workspace.onDidOpenTextDocument(async (doc) => {
      if (isRulesDocument(doc)) {
        await startOnce();
      }
    }),
  );
  if (!vscode.workspace.isTrusted) {
    output.appendLine("Restricted Mode: the workspace's rulec.serverPath is ignored and Run tests is off.");
  }
  if (vscode.workspace.textDocuments.some(isRulesDocument) || (await workspaceHasRulesFiles(rulesFilePatterns(context)))) {
    await startOnce();
  }
}

export async function deactivate(): Promise<void> {
  await stop();
}
