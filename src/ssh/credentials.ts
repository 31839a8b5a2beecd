import { readFile } from "node:fs/promises";
import { UsageError } from "../errors/index.js";

/**
 * Where SSH secrets come from: a file path or an environment variable. The key stays in memory
 * as a Buffer; it is never logged, written to a record, or put in an error message.
 */
export interface SshCredentials {
  privateKey: Buffer;
  passphrase?: string;
  /** Where the key came from (a path or an env var name) — safe to log. */
  source: string;
}

export async function loadSshKey(params: {
  keyPath?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<SshCredentials> {
  const env = params.env ?? process.env;
  const passphrase = env.PIKACI_SSH_KEY_PASSPHRASE || undefined;
  if (params.keyPath) {
    const privateKey = await readFile(params.keyPath).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read the ssh key file ${params.keyPath}: ${error.code ?? error.message}`, {
        hint: "pass a readable private key file with --ssh-key FILE",
      });
    });
    return { privateKey, passphrase, source: params.keyPath };
  }
  const fromEnv = env.PIKACI_SSH_KEY;
  if (fromEnv && fromEnv.trim() !== "") {
    // CI secrets sometimes lose their trailing newline or carry literal "\n"; OpenSSH keys need real ones.
    const text = fromEnv.includes("\\n") && !fromEnv.includes("\n") ? fromEnv.replace(/\\n/g, "\n") : fromEnv;
    return {
      privateKey: Buffer.from(text.endsWith("\n") ? text : `${text}\n`),
      passphrase,
      source: "PIKACI_SSH_KEY",
    };
  }
  throw new UsageError("no ssh key for the build host", {
    hint: "pass --ssh-key FILE or set PIKACI_SSH_KEY to the private key's content",
  });
}

/**
 * known_hosts text from file(s) (--known-hosts, repeatable: several build hosts may each bring
 * theirs) or PIKACI_SSH_KNOWN_HOSTS; undefined when neither is set.
 */
export async function loadKnownHosts(params: {
  knownHostsPath?: string | readonly string[];
  env?: NodeJS.ProcessEnv;
}): Promise<string | undefined> {
  const env = params.env ?? process.env;
  if (Array.isArray(params.knownHostsPath)) {
    if (params.knownHostsPath.length === 0) return loadKnownHosts({ env });
    const texts = await Promise.all(
      params.knownHostsPath.map((p: string) => loadKnownHosts({ knownHostsPath: p, env })),
    );
    return texts.map((text) => (text?.endsWith("\n") ? text : `${text ?? ""}\n`)).join("");
  }
  if (typeof params.knownHostsPath === "string" && params.knownHostsPath !== "") {
    const file = params.knownHostsPath;
    return readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read the known_hosts file ${file}: ${error.code ?? error.message}`, {
        hint: "create it with `ssh-keyscan -p PORT HOST > FILE` after checking the fingerprint out of band",
      });
    });
  }
  const fromEnv = env.PIKACI_SSH_KNOWN_HOSTS;
  return fromEnv && fromEnv.trim() !== "" ? fromEnv : undefined;
}
