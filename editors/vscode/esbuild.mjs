// Bundles the extension and its one dependency (vscode-languageclient) into out/extension.js,
// the only JavaScript file the .vsix ships. `vscode` is provided by the editor at run time.
import * as esbuild from "esbuild";

await esbuild.build({
  entryPoints: ["src/extension.ts"],
  bundle: true,
  outfile: "out/extension.js",
  external: ["vscode"],
  format: "cjs",
  platform: "node",
  target: "node18",
  minify: true,
  sourcemap: false,
  logLevel: "warning",
});
