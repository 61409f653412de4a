// Driving the VS Code workbench (code-server 4.100.3 = VS Code 1.100.3) in Chromium through
// puppeteer-core: the keyboard for commands, the DOM for what the user sees. Everything here waits
// for a condition with a deadline; nothing sleeps a fixed time to "let it settle" except where a
// key press has no observable effect to wait for.

/** How long one expectation may take before it fails. */
export const TIMEOUT_MS = Number(process.env.RULEC_E2E_TIMEOUT_MS ?? 20_000);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` (run in the page) until it returns a truthy value; throws `what` on timeout. */
export async function waitFor(page, what, probe, arg, timeout = TIMEOUT_MS) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await page.evaluate(probe, arg).catch(() => undefined);
    if (last) {
      return last;
    }
    await sleep(150);
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
}

/** The text of every element matching `selector`, in document order. */
export async function texts(page, selector) {
  return page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ""));
}

/** Waits until some element matching `selector` has text matching `re`; returns that text. */
export async function waitForText(page, selector, re, what, timeout) {
  return waitFor(
    page,
    what ?? `${selector} to show ${re}`,
    ([sel, src, flags]) => {
      const r = new RegExp(src, flags);
      for (const e of document.querySelectorAll(sel)) {
        if (r.test(e.textContent ?? "")) return e.textContent;
      }
      return false;
    },
    [selector, re.source, re.flags],
    timeout,
  );
}

/**
 * Clicks the first element matching `selector` whose text matches `re`, with the mouse. The
 * workbench re-renders lenses and lists often, so a node found may be gone before the click:
 * such a click is tried again until the deadline.
 */
export async function clickText(page, selector, re, what) {
  const end = Date.now() + TIMEOUT_MS;
  let last = "not found";
  while (Date.now() < end) {
    for (const el of await page.$$(selector)) {
      try {
        if (re.test(await el.evaluate((e) => e.textContent ?? ""))) {
          await el.click();
          return;
        }
      } catch (err) {
        last = err.message;
      }
    }
    await sleep(150);
  }
  throw new Error(`could not click ${what}: ${last}`);
}

export async function press(page, chord) {
  const keys = chord.split("+");
  for (const k of keys) await page.keyboard.down(k);
  for (const k of keys.reverse()) await page.keyboard.up(k);
}

/** Runs a command from the command palette by its title. */
export async function command(page, title) {
  await press(page, "F1");
  await waitFor(page, "the command palette", () => {
    const input = document.querySelector(".quick-input-widget input");
    return input && input.offsetParent !== null && input.value.startsWith(">");
  });
  await page.keyboard.type(title);
  await waitForText(page, ".quick-input-list .monaco-list-row.focused", new RegExp(`^${escape(title)}`, "i"), `the command "${title}"`);
  await press(page, "Enter");
  await sleep(300);
}

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Waits for the quick input box to have the focus and to hold `prefix`. */
async function quickInput(page, prefix) {
  await waitFor(page, `the quick input (${prefix || "files"})`, (p) => {
    const input = document.activeElement;
    return input?.closest(".quick-input-widget") && input.value === p;
  }, prefix);
}

/** Opens a workspace file by name (Ctrl+P) and waits for its editor tab to be active. */
export async function openFile(page, name) {
  await press(page, "Control+p");
  await quickInput(page, "");
  await page.keyboard.type(name);
  await waitForText(page, ".quick-input-list .monaco-list-row.focused .label-name", new RegExp(`^${escape(name)}$`), `${name} first in quick open`);
  await press(page, "Enter");
  await waitFor(page, `${name} to be the active editor`, (n) => {
    const tab = document.querySelector(".tabs-container .tab.active");
    return tab && (tab.getAttribute("aria-label") ?? tab.textContent ?? "").includes(n);
  }, name);
  await page.waitForSelector(".monaco-editor .view-lines", { visible: true });
  await sleep(300);
}

/** Moves the cursor of the active editor to a 1-based `line` and `column` (Ctrl+G). */
export async function goTo(page, line, column) {
  await press(page, "Control+g");
  await quickInput(page, ":");
  await page.keyboard.type(`${line}:${column}`);
  await press(page, "Enter");
  await sleep(300);
}

/** Closes whatever widget or palette has the focus. */
export async function escapeAll(page) {
  await press(page, "Escape");
  await press(page, "Escape");
  await sleep(200);
}
