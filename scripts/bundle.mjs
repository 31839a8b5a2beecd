#!/usr/bin/env node
// Builds the committed bundles: dist/index.js (action main), dist/post.js (action post step),
// dist/cli.js (the `pikaci` command) and dist/app.js (the GitHub App, started by `pikaci app serve`
// or `node dist/app.js`), and dist/hash-worker.js, the file-hashing thread the others start from
// beside themselves (src/snapshot/hash-threads.ts). `npm run build` (or `npm run bundle`); `--outdir DIR` builds elsewhere
// (check-dist.sh).
//
// Why committed bundles and not `tsc` output built on install: a production install
// (`npm install --omit=dev`) has neither TypeScript nor esbuild, and GitHub runs the action from the
// repository as it is. Each bundle carries its dependencies, so it runs with plain `node`.
//
// - ESM for Node 20+ (GitHub runs node24; the CLI supports Node 20), with a banner giving CommonJS
//   dependencies `require`, and `define` mapping their free `__filename`/`__dirname` to the bundle's.
// - ssh2's optional native add-ons (cpu-features, sshcrypto.node) are replaced by a module that throws,
//   so ssh2 always takes its pure-JS path and the bundle behaves the same with or without node_modules.
// - Deterministic: no timestamps, paths relative to the repository, entries built in a fixed order.
// - Not minified, so stack traces and reviews of dist/ stay readable; licence comments go to the end.
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outIndex = process.argv.indexOf("--outdir");
const outdir = outIndex === -1 ? path.join(repo, "dist") : path.resolve(process.argv[outIndex + 1]);

const ENTRIES = [
  ["index", "src/action/index.ts"],
  ["post", "src/action/post.ts"],
  ["cli", "src/cli/entry.ts"],
  ["app", "app/src/server.ts"],
  // Loaded by URL, not imported: a worker thread needs a file of its own.
  ["hash-worker", "src/snapshot/hash-worker.js"],
];

const BANNER = [
  'import { createRequire as __pikaciCreateRequire } from "node:module";',
  'import { fileURLToPath as __pikaciFileURLToPath } from "node:url";',
  'import { dirname as __pikaciDirname } from "node:path";',
  "const require = __pikaciCreateRequire(import.meta.url);",
  "const __pikaciFilename = __pikaciFileURLToPath(import.meta.url);",
  "const __pikaciDirnameValue = __pikaciDirname(__pikaciFilename);",
].join("\n");

/** Optional native modules become a module that throws on load; their callers catch and fall back. */
const optionalNative = {
  name: "optional-native",
  setup(b) {
    b.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => ({
      path: args.path,
      namespace: "optional-native",
    }));
    b.onLoad({ filter: /.*/, namespace: "optional-native" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`optional native module ${path.basename(args.path)} is not bundled`)});`,
      loader: "js",
    }));
  },
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
for (const [name, entry] of ENTRIES) {
  const result = await build({
    absWorkingDir: repo,
    entryPoints: { [name]: entry },
    outdir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: { js: BANNER },
    // Only free uses of the CommonJS globals are rewritten; modules that declare their own keep them.
    define: { __filename: "__pikaciFilename", __dirname: "__pikaciDirnameValue" },
    plugins: [optionalNative],
    legalComments: "eof",
    minify: false,
    sourcemap: false,
    charset: "utf8",
    logLevel: "warning",
    logOverride: { "empty-import-meta": "silent" },
  });
  if (result.errors.length > 0) process.exit(1);
}
console.log(
  `bundled ${ENTRIES.map(([name]) => `${name}.js`).join(", ")} into ${path.relative(repo, outdir) || "."}`,
);
