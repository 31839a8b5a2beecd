#!/usr/bin/env node
// The installed `pikaci` command: the bundle when it has been built, else the TypeScript
// sources through tsx, so a fresh clone works before `npm run bundle`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = new URL("../dist/cli.js", import.meta.url);
if (existsSync(fileURLToPath(bundle))) {
  await import(bundle.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("../src/cli/entry.ts", import.meta.url).href);
}
