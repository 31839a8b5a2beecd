import { randomBytes } from "node:crypto";
import { constants, type FileHandle, open, readFile } from "node:fs/promises";
import { parseEnv } from "node:util";
import { UsageError } from "../../errors/index.js";

/**
 * An env file both systemd's `EnvironmentFile=` and Node's parser read the same way: every value in
 * single quotes, which both take literally. The PEM's newlines become `\n`, which the App's env
 * loader turns back (app/src/env.ts).
 */
export function renderEnvFile(values: Record<string, string>, comment: string): string {
  const lines = [`# ${comment}`];
  for (const [key, value] of Object.entries(values)) {
    const escaped = value.replace(/\r?\n/g, "\\n");
    if (escaped.includes("'"))
      throw new Error(`${key} contains a single quote, which an env file cannot hold`);
    lines.push(`${key}='${escaped}'`);
  }
  return `${lines.join("\n")}\n`;
}

/** A bearer token for the App's JSON API: 256 random bits. */
export function newApiToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Creates the file with mode 0600 before anything is written (no window where the secrets are
 * world-readable), and refuses to replace one: an existing file may hold another App's key.
 */
export async function writeSecretFile(file: string, text: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new UsageError(`${file} already exists`, {
        hint: "move it away or pass another --env-file; it may hold another App's private key",
      });
    }
    throw error;
  }
  try {
    await handle.chmod(0o600); // the umask may have narrowed it further; never wider
    await handle.writeFile(text, "utf8");
  } finally {
    await handle.close();
  }
}

/** Reads an env file into `env`; variables already set win, as with `node --env-file`. */
export async function loadEnvFile(file: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new UsageError(`cannot read the env file ${file}`, {
      hint: "check the path (`pikaci app register` writes one) and that this user can read it",
      cause,
    });
  }
  const loaded: string[] = [];
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (env[key] !== undefined) continue;
    env[key] = value;
    loaded.push(key);
  }
  return loaded;
}
