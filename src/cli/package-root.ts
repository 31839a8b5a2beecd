import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder of pikaci's own package.json: dist/ when bundled, src/cli/… from the sources. Found by
 * walking up, so the same code works from both and from an installed node_modules/pikaci.
 */
export function packageRoot(from: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(from));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "pikaci") return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`pikaci's package.json not found above ${fileURLToPath(from)}`);
    dir = parent;
  }
}
