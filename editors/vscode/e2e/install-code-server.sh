#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the last line that runs on Node 20) from the npm
# registry into one folder, without its install scripts: `npm install -g` fails as root (the
# postinstall wants --unsafe-perm, which npm 11 no longer knows), and the scripts download
# binaries from hosts these machines cannot reach. Native modules are rebuilt from source here,
# and ripgrep comes from Debian. Facts: ../shared/reference/EDITOR-TEST-FACTS.md.
#
# Usage: install-code-server.sh DIR   (DIR/out/node/entry.js is the entry point afterwards)
# Needs node 20, npm, build-essential, pkg-config, python3, libkrb5-dev, libsecret-1-dev,
# libx11-dev, libxkbfile-dev and ripgrep. Does nothing when DIR already holds a finished install.
set -euo pipefail

version=4.100.3
dir="${1:?usage: install-code-server.sh DIR}"
marker="$dir/.rulec-installed-$version"
if [ -f "$marker" ]; then
  echo "code-server $version already installed in $dir"
  exit 0
fi

rg_bin="$(command -v rg || true)"
if [ -z "$rg_bin" ]; then
  echo "install-code-server.sh: ripgrep (rg) is not installed; VS Code's search needs it" >&2
  exit 1
fi

rm -rf "$dir"
mkdir -p "$dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "code-server@$version" >/dev/null)
tar -xzf "$work"/code-server-"$version".tgz -C "$dir" --strip-components=1

npm_quiet=(--no-audit --no-fund --loglevel=error)
(cd "$dir" && npm install --omit=dev --ignore-scripts "${npm_quiet[@]}")
(cd "$dir" && npm rebuild argon2 --build-from-source "${npm_quiet[@]}")

vsc="$dir/lib/vscode"
(cd "$vsc" && npm install --omit=dev --ignore-scripts "${npm_quiet[@]}")
# node-pty's own post-install stops at an `npx node-gyp` prompt after pty.node is built: answer it
# with an empty stdin and check for the module instead of trusting the exit status.
(cd "$vsc" && npm rebuild @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog kerberos \
  "${npm_quiet[@]}")
(cd "$vsc" && npm rebuild node-pty "${npm_quiet[@]}" </dev/null >"$work/node-pty.log" 2>&1) || true
if ! find "$vsc/node_modules/node-pty/build" -name pty.node 2>/dev/null | grep -q .; then
  echo "install-code-server.sh: node-pty did not build (pty.node missing)" >&2
  exit 1
fi
mkdir -p "$vsc/node_modules/@vscode/ripgrep/bin"
cp "$rg_bin" "$vsc/node_modules/@vscode/ripgrep/bin/rg"
ln -sfn node_modules "$vsc/node_modules.asar"

# The built-in extensions (YAML grammar, terminal, ...) carry their own dependencies.
if [ -f "$vsc/extensions/package.json" ]; then
  (cd "$vsc/extensions" && npm install --omit=dev --ignore-scripts "${npm_quiet[@]}")
fi

touch "$marker"
echo "code-server $version installed in $dir"
