// The rulec extension: starts `rulec lsp` for YAML files that match `rulec.fileGlobs` and passes
// it `rulec.rulesFiles`. Highlighting of conditions and outputs comes from the TextMate injection
// grammar (syntaxes/) and, once the server runs, from its semantic tokens.

import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

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

async function start(context: vscode.ExtensionContext): Promise<void> {
  const command = config().get<string>("serverPath", "rulec");
  const globs = config().get<string[]>("fileGlobs", ["**/*rules*.yaml", "**/*rules*.yml"]);
  const serverOptions: ServerOptions = { command, args: ["lsp"] };
  const clientOptions: LanguageClientOptions = {
    // Only YAML files that look like rules files: the server does not speak YAML in general.
    documentSelector: globs.map((pattern) => ({ language: "yaml", pattern })),
    initializationOptions: {
      rulesFiles: config().get<string[]>("rulesFiles", []),
      stdlib: config().get<boolean>("stdlib", true),
    },
    // Sends `workspace/didChangeConfiguration` with `{ rulec: {...} }` when settings change.
    synchronize: { configurationSection: "rulec" },
  };
  client = new LanguageClient("rulec", "rulec", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `rulec: cannot start \`${command} lsp\` (${String(err)}). Set "rulec.serverPath" to the rulec binary.`,
    );
  }
}

async function stop(): Promise<void> {
  if (client) {
    const c = client;
    client = undefined;
    await c.stop();
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    // The code lens "Run tests" carries this command with the rule's name: run the golden
    // tests that name the rule, `rulec test --filter '^NAME$'`, in a terminal.
    vscode.commands.registerCommand("rulec.runTests", (rule?: string) => {
      const bin = config().get<string>("serverPath", "rulec");
      const filter = rule === undefined ? "" : ` --filter ${shellQuote(`^${regexEscape(rule)}$`)}`;
      const terminal = vscode.window.createTerminal({ name: "rulec test" });
      terminal.show();
      terminal.sendText(`${shellQuote(bin)} test${filter}`);
    }),
    vscode.commands.registerCommand("rulec.restartServer", async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      // The binary and the file globs are fixed when the client starts; the rules files are not
      // (the server gets them through didChangeConfiguration).
      if (e.affectsConfiguration("rulec.serverPath") || e.affectsConfiguration("rulec.fileGlobs")) {
        await stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
