#!/usr/bin/env bash
# Tests the editor packages:
#   - VS Code: `npm ci`, TypeScript compile, TextMate grammar tests, packaging to a .vsix;
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
  npx vsce package --out "$tmp/rulec.vsix"
  test -s "$tmp/rulec.vsix"
)

echo "== Neovim"
nvim --version | head -n 1
RULEC_BIN="$rulec_bin" timeout 120 nvim --headless -u "$here/neovim/test/minimal_init.lua"
echo

echo "== Helix"
python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb")); print("languages.toml parses")' "$here/helix/languages.toml"

echo "== editors: all passed"
