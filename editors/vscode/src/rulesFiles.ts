// Which YAML is worth starting the language server for. The server decides for itself, by
// content, which documents are rules files; this is only the client's cheap first look, so that a
// workspace with no rules (a Kubernetes manifest, a CI file) never starts a process.
//
// The file patterns are the `workspaceContains:` activation events of package.json, read from the
// extension's manifest at run time so that they are written down once.

import * as vscode from "vscode";

/** A top-level sequence item that only a Falco rules file has (`- rule:`, `- macro:`, ...). */
const RULES_ITEM = /^-[ \t]+(rule|macro|list|required_engine_version|required_plugin_versions)[ \t]*:/m;

/** Whether `text` looks like a Falco rules file (the first 64 KiB are enough to tell). */
export function looksLikeRules(text: string): boolean {
  return RULES_ITEM.test(text.slice(0, 64 * 1024));
}

/** The glob patterns of the `workspaceContains:` activation events in package.json. */
export function rulesFilePatterns(context: vscode.ExtensionContext): string[] {
  const events: string[] = context.extension.packageJSON.activationEvents ?? [];
  return events.filter((e) => e.startsWith("workspaceContains:")).map((e) => e.slice("workspaceContains:".length));
}

/** Whether the workspace holds a file matching one of `patterns` (outside node_modules). */
export async function workspaceHasRulesFiles(patterns: string[]): Promise<boolean> {
  const found = await Promise.all(patterns.map((p) => vscode.workspace.findFiles(p, "**/node_modules/**", 1)));
  return found.some((files) => files.length > 0);
}

/** Whether `doc` is a YAML document that looks like rules. */
export function isRulesDocument(doc: vscode.TextDocument): boolean {
  return doc.languageId === "yaml" && looksLikeRules(doc.getText());
}
