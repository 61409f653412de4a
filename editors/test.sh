#!/usr/bin/env bash
# Tests the editor packages:
#   - VS Code: `npm ci`, type check and esbuild bundle, TextMate grammar tests, packaging to a
#     .vsix (no vsce warning, under 1 MB, one JavaScript file), then the real-editor test in
#     code-server (vscode/e2e/test.sh: skipped without chromium unless RULEC_REQUIRE_VSCODE_E2E=1);
#   - Neovim: the Lua module, headless, against the real `rulec lsp` (diagnostics must arrive);
#   - Helix: languages.toml must be valid TOML.
# Needs node and npm (network access to the npm registry for `npm ci`), nvim, python3, and a
# built rulec (RULEC_BIN, default target/debug/rulec; built with cargo if missing).
# Exits non-zero on the first failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
rulec_bin="${RULEC_BIN:-$repo/target/debug/rulec}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$rulec_bin" ]; then
  echo "== building rulec"
  (cd "$repo" && cargo build --bin rulec)
fi

echo "== VS Code extension"
(
  cd "$here/vscode"
  npm ci --no-audit --no-fund
  npm run compile
  npm test
  npm run --silent package -- --out "$tmp/rulec.vsix" 2>&1 | tee "$tmp/vsce.log"
  # Publishable as built: no vsce warning, under 1 MB, one bundled JavaScript file.
  if grep -qi "warning" "$tmp/vsce.log"; then
    echo "vsce package printed a warning" >&2
    exit 1
  fi
  size=$(stat -c %s "$tmp/rulec.vsix")
  js=$(python3 -c 'import sys, zipfile; print(sum(n.endswith(".js") for n in zipfile.ZipFile(sys.argv[1]).namelist()))' "$tmp/rulec.vsix")
  echo "rulec.vsix: $size bytes, $js JavaScript file(s)"
  [ "$size" -lt 1048576 ] || { echo "the .vsix is 1 MB or more" >&2; exit 1; }
  [ "$js" -eq 1 ] || { echo "the .vsix holds $js JavaScript files, not one" >&2; exit 1; }
)

echo "== VS Code in a real editor (code-server + chromium)"
RULEC_BIN="$rulec_bin" bash "$here/vscode/e2e/test.sh" "$tmp/rulec.vsix"

echo "== Neovim"
nvim --version | head -n 1
RULEC_BIN="$rulec_bin" timeout 120 nvim --headless -u "$here/neovim/test/minimal_init.lua"
echo

echo "== Helix"
python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb")); print("languages.toml parses")' "$here/helix/languages.toml"

echo "== editors: all passed"
