import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError } from "../errors/index.js";
import type { PikaciConfig } from "../schema/index.js";
import { parseConfig } from "./parse.js";

/**
 * Read and validate a config file. `file` in the result (and in issues) is the path as given,
 * so messages point where the user looked; relative paths resolve against `cwd`.
 */
export async function loadConfigFile(
  path: string,
  { cwd = process.cwd() }: { cwd?: string } = {},
): Promise<{ config: PikaciConfig; file: string; text: string }> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new UsageError(`config file not found: ${path}`, {
        hint: "create .github/pikaci.yml or pass --config",
      });
    }
    if (code === "EISDIR")
      throw new UsageError(`config path is a directory: ${path}`, { hint: "pass --config FILE" });
    throw new UsageError(`cannot read config file ${path}: ${(error as Error).message}`, {
      hint: "check the file's permissions or pass --config",
      cause: error,
    });
  }
  return { config: parseConfig(text, path), file: path, text };
}
