// The steps of the real-editor test, in order, each a user's action and what they must see.
// Positions refer to e2e/workspace/shells.yaml and custom.yaml. A step with `needs` depends on the
// language server working out the load order by itself (issue 16's zero configuration): with no
// setting, custom.yaml's names are defined in falco_rules.yaml and shells.yaml.

import { TIMEOUT_MS, clickText, command, escapeAll, goTo, openFile, press, texts, waitFor, waitForText } from "./workbench.mjs";

const PROBLEMS = ".markers-panel .monaco-list-row";

async function showProblems(page) {
  if (!(await page.$(".markers-panel"))) {
    await press(page, "Control+Shift+M");
  }
  await page.waitForSelector(".markers-panel", { visible: true });
}

/** Waits until `read(file)` satisfies `ok`, polling the disk. */
async function waitForDisk(ctx, what, ok) {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const diagnostics = {
  name: "diagnostics with codes in the Problems panel",
  async run({ page }) {
    await openFile(page, "shells.yaml");
    // The extension's status item appears once it has activated and started the server (or
    // failed to): that may take longer than one user action.
    await waitFor(page, "the rulec status item", () => [...document.querySelectorAll(".statusbar-item")].some((e) => /rulec/.test(e.getAttribute("aria-label") ?? "")), undefined, 3 * TIMEOUT_MS);
    await page.waitForSelector(".squiggly-error", { timeout: TIMEOUT_MS }).catch(() => {
      throw new Error("no error squiggle in shells.yaml");
    });
    await showProblems(page);
    const row = await waitForText(page, PROBLEMS, /unknown field `proc\.nmae`/, "the unknown field in the Problems panel");
    if (!/E0401/.test(row)) throw new Error(`the problem has no code E0401: ${row}`);
  },
};

const hover = {
  name: "hover on a macro",
  async run({ page }) {
    await openFile(page, "shells.yaml");
    await goTo(page, 9, 36);
    await press(page, "Control+k");
    await press(page, "Control+i");
    await waitForText(page, ".monaco-hover .monaco-hover-content", /macro.*user_shell[\s\S]*proc\.name in \(bash, sh, zsh\)/, "the hover of user_shell");
  },
};

const completion = {
  name: "completion after proc.",
  async run(ctx) {
    const { page } = ctx;
    await openFile(page, "shells.yaml");
    await goTo(page, 9, 1);
    await press(page, "End");
    const typed = " and proc.";
    const labels = ".suggest-widget.visible .monaco-list-row .label-name";
    await page.keyboard.type(typed);
    try {
      await press(page, "Control+Space");
      await waitForText(page, labels, /^proc\.\w+$/, "field completions after proc.");
      const fields = (await texts(page, labels)).filter((l) => l.startsWith("proc."));
      if (fields.length < 5) throw new Error(`too few completions: ${fields.join(" | ")}`);
      await page.keyboard.type("nam");
      await waitForText(page, labels, /^proc\.name$/, "proc.name among the completions");
      await ctx.shot();
    } finally {
      // Leave the file as it was on disk: undo until the editor is no longer dirty.
      await escapeAll(page);
      for (let i = 0; i < 40 && (await page.$(".tabs-container .tab.active.dirty")); i++) {
        await press(page, "Control+z");
      }
      if (await page.$(".tabs-container .tab.active.dirty")) throw new Error("could not undo the typing");
    }
  },
};

const quickFix = {
  name: "quick fix applied",
  async run(ctx) {
    const { page } = ctx;
    await openFile(page, "shells.yaml");
    await goTo(page, 9, 50);
    await press(page, "Control+.");
    await waitForText(page, ".action-widget .monaco-list-row", /proc\.name/, "a quick fix to proc.name");
    await clickText(page, ".action-widget .monaco-list-row", /proc\.name/, "the quick fix to proc.name");
    await press(page, "Control+s");
    await waitForDisk(ctx, "the fix saved in shells.yaml", () => ctx.read("shells.yaml").includes("user_shell and proc.name != init"));
    await waitFor(page, "the squiggle to go", () => !document.querySelector(".squiggly-error"));
  },
};

const testLens = {
  name: "the test lens runs the rule's tests",
  async run({ page }) {
    await openFile(page, "shells.yaml");
    await waitForText(page, ".codelens-decoration a", /Run tests/, "the Run tests lens");
    await clickText(page, ".codelens-decoration a", /Run tests/, "the Run tests lens");
    await waitForText(page, ".terminal-wrapper .xterm-rows", /2 passed, 0 failed/, "the test run's summary in the terminal", 40_000);
  },
};

const zeroConfigDiagnostics = {
  name: "a user file's diagnostics with upstream macros and no settings",
  needs: "the server's zero-configuration load order (issue 16)",
  async run({ page }) {
    await openFile(page, "custom.yaml");
    await showProblems(page);
    await waitForText(page, PROBLEMS, /unknown field `proc\.pnmae`/, "the unknown field of custom.yaml");
    const undefinedNames = (await texts(page, PROBLEMS)).filter((t) => /undefined (macro|list)/.test(t));
    if (undefinedNames.length > 0) throw new Error(`upstream names reported undefined: ${undefinedNames.join(" | ")}`);
  },
};

const rename = {
  name: "rename of a macro across two files",
  needs: "the server's workspace index of macros (issue 16)",
  async run(ctx) {
    const { page } = ctx;
    await openFile(page, "custom.yaml");
    await openFile(page, "shells.yaml");
    await goTo(page, 4, 12);
    await press(page, "F2");
    // The rename box opens with the old name selected: typing replaces it.
    await waitFor(page, "the rename box to have the focus", () => document.activeElement?.closest(".rename-box"));
    await page.keyboard.type("login_shell");
    await press(page, "Enter");
    await waitFor(page, "the rename box to close", () => !document.activeElement?.closest(".rename-box"));
    await command(page, "File: Save All");
    await waitForDisk(ctx, "login_shell twice in shells.yaml", () => (ctx.read("shells.yaml").match(/\blogin_shell\b/g) ?? []).length === 2);
    await waitForDisk(ctx, "login_shell in custom.yaml (the other file)", () => ctx.read("custom.yaml").includes("and login_shell and"));
  },
};

/** What the broken server must make happen: no diagnostics, and one message saying why. */
const oneErrorMessage = {
  name: "one error message about the server",
  async run({ page }) {
    // Every notification is listed in the notification centre, whether or not its toast shows.
    await command(page, "Notifications: Show Notifications");
    const items = ".notifications-center .notification-list-item-message";
    await waitForText(page, items, /^rulec: /, "a rulec notification");
    // Let the restarts run out: each could have said something.
    await new Promise((r) => setTimeout(r, 3000));
    const messages = (await texts(page, items)).filter((t) => t.startsWith("rulec"));
    if (messages.length !== 1) throw new Error(`${messages.length} rulec notifications: ${messages.join(" | ")}`);
    if (!/rulec: .*rulec lsp/.test(messages[0])) throw new Error(`the message does not name the server: ${messages[0]}`);
  },
};

export const steps = [diagnostics, hover, completion, quickFix, testLens, zeroConfigDiagnostics, rename];
export const brokenSteps = [diagnostics, oneErrorMessage];
