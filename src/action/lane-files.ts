import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { readFileEnd } from "../store/index.js";

/** The last `maxBytes` of a file as text ("" when it does not exist): enough for tails and matchers. */
export async function readTail(
  file: string | null | undefined,
  maxBytes = 16 * 1024 * 1024,
): Promise<string> {
  if (!file) return "";
  const end = await readFileEnd(file, maxBytes).catch(() => null);
  return end ? end.bytes.toString("utf8") : "";
}

const SKIP_DIRS = new Set([".git", "node_modules", "target", ".direnv"]);
const MAX_INDEXED = 50_000;

/**
 * Maps an annotation path to one that exists in the checkout, or undefined: GitHub rejects nothing
 * for a missing path, but an annotation nobody can open is noise. A bare file name (go test prints
 * `add_test.go`) is looked up by name and kept only when exactly one file has it.
 */
export function workspaceResolver(workspace: string): (relative: string) => Promise<string | undefined> {
  let index: Promise<Map<string, string[]>> | undefined;
  const byName = async () => {
    index ??= buildIndex(workspace);
    return index;
  };
  return async (relative) => {
    if (await exists(path.join(workspace, relative))) return relative;
    if (relative.includes("/")) return undefined;
    const matches = (await byName()).get(relative) ?? [];
    return matches.length === 1 ? matches[0] : undefined;
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function buildIndex(root: string): Promise<Map<string, string[]>> {
  const index = new Map<string, string[]>();
  let count = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (count >= MAX_INDEXED) return;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await walk(path.join(dir, entry.name));
      } else if (entry.isFile()) {
        count++;
        const rel = path.relative(root, path.join(dir, entry.name)).split(path.sep).join("/");
        index.set(entry.name, [...(index.get(entry.name) ?? []), rel]);
      }
    }
  };
  await walk(root);
  return index;
}
