import cluster from "node:cluster";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { CliIO } from "../io.js";
import { packageRoot } from "../package-root.js";
import { loadEnvFile } from "./env-file.js";

/**
 * The App's entry: dist/app.js, the bundle `npm run build` writes and the repository commits, so
 * plain `node` runs it after `npm install --omit=dev`. From a checkout whose dist/ has no app.js
 * yet (a work in progress), the sources through tsx.
 */
export function appEntry(root: string = packageRoot()): string {
  const bundle = path.join(root, "dist", "app.js");
  return existsSync(bundle) ? bundle : path.join(root, "app", "src", "server.ts");
}

/**
 * Loads the env file into the process environment, then runs the App's entry in this process (so
 * systemd's signals reach it, and PIKACI_APP_WORKERS forks re-run this same command). The entry
 * checks the environment and exits 2 naming a bad variable; it keeps the process alive.
 */
export async function serveApp(params: { envFile?: string; io: CliIO }): Promise<void> {
  if (params.envFile) {
    const loaded = await loadEnvFile(params.envFile, params.io.env);
    // Workers (PIKACI_APP_WORKERS) re-run this command with the primary's environment: say it once.
    if (cluster.isPrimary) {
      params.io.stderr.write(`pikaci app: read ${loaded.length} variable(s) from ${params.envFile}\n`);
    }
  }
  const entry = appEntry();
  if (entry.endsWith(".ts")) {
    // A variable, so esbuild leaves tsx (a dev dependency) out of dist/cli.js.
    const tsxApi = "tsx/esm/api";
    const { register } = (await import(tsxApi)) as { register: () => void };
    register();
  }
  await import(pathToFileURL(entry).href);
}
