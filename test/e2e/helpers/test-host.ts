// The real test build host started by `bash test/host/setup.sh`: reads its host.env and offers
// `describeE2E`, which skips (PIKACI_E2E=0) or fails loudly when the host is not running.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe } from "vitest";

export interface TestHost {
  sshHost: string;
  sshPort: number;
  sshUser: string;
  /** Absolute path of the client's ed25519 private key. */
  sshKey: string;
  /** Absolute path of a known_hosts file with the pinned host key (`[127.0.0.1]:PORT ssh-ed25519 …`). */
  knownHostsFile: string;
  /** `SHA256:…` fingerprint of the sshd host key. */
  hostKeyFingerprint: string;
  /** Busybox image alias (tiny, fast). */
  image: string;
  /** Debian bookworm minbase image alias (has bash, setpriv). */
  imageDebian: string;
  incusdPid: number;
  sshdPid: number;
  /** The host.env file this was read from. */
  envFile: string;
}

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const SETUP_HINT = "test host not running: run `bash test/host/setup.sh` (as root)";

export function hostEnvPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PIKACI_TEST_HOST_ENV) return env.PIKACI_TEST_HOST_ENV;
  const dir = env.PIKACI_TEST_HOST_DIR || path.join(REPO_ROOT, ".test-host");
  return path.join(dir, "host.env");
}

/** Parses `KEY=value` lines (no quotes; `#` comments and blank lines ignored). */
export function parseHostEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1);
    if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1);
    out[line.slice(0, eq)] = value;
  }
  return out;
}

function required(vars: Record<string, string>, key: string, file: string): string {
  const value = vars[key];
  if (value === undefined || value === "") {
    throw new Error(`${file} lacks ${key}; re-run \`bash test/host/setup.sh\``);
  }
  return value;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Reads host.env; `undefined` when it does not exist. Throws when it is incomplete or stale. */
export function loadTestHost(env: NodeJS.ProcessEnv = process.env): TestHost | undefined {
  const file = hostEnvPath(env);
  if (!existsSync(file)) return undefined;
  const v = parseHostEnv(readFileSync(file, "utf8"));
  const host: TestHost = {
    sshHost: required(v, "PIKACI_TEST_SSH_HOST", file),
    sshPort: Number(required(v, "PIKACI_TEST_SSH_PORT", file)),
    sshUser: required(v, "PIKACI_TEST_SSH_USER", file),
    sshKey: required(v, "PIKACI_TEST_SSH_KEY", file),
    knownHostsFile: required(v, "PIKACI_TEST_KNOWN_HOSTS_FILE", file),
    hostKeyFingerprint: required(v, "PIKACI_TEST_HOST_KEY_FINGERPRINT", file),
    image: required(v, "PIKACI_TEST_IMAGE", file),
    imageDebian: required(v, "PIKACI_TEST_IMAGE_DEBIAN", file),
    incusdPid: Number(required(v, "PIKACI_TEST_INCUSD_PID", file)),
    sshdPid: Number(required(v, "PIKACI_TEST_SSHD_PID", file)),
    envFile: file,
  };
  for (const [name, pid] of [
    ["incusd", host.incusdPid],
    ["sshd", host.sshdPid],
  ] as const) {
    if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) {
      throw new Error(`${SETUP_HINT} (${name} pid ${pid} from ${file} is not alive)`);
    }
  }
  return host;
}

let cached: { host: TestHost | undefined } | undefined;

/** The test host, or `undefined` when end-to-end tests are switched off with PIKACI_E2E=0. */
export function requireTestHost(env: NodeJS.ProcessEnv = process.env): TestHost | undefined {
  if (!cached) {
    if (env.PIKACI_E2E === "0") {
      cached = { host: undefined };
      return undefined;
    }
    const host = loadTestHost(env);
    if (!host) {
      throw new Error(`${SETUP_HINT}; ${hostEnvPath(env)} is missing (or set PIKACI_E2E=0 to skip)`);
    }
    cached = { host };
  }
  return cached.host;
}

/**
 * `describe` for end-to-end suites against the real test host. Skips with a message when
 * PIKACI_E2E=0; otherwise a missing host.env or a dead host fails the suite with the fix.
 */
export function describeE2E(name: string, body: (host: TestHost) => void): void {
  const host = requireTestHost();
  if (!host) {
    console.warn(`PIKACI_E2E=0: skipping end-to-end tests (${name})`);
    describe.skip(name, () => {});
    return;
  }
  describe(name, () => body(host));
}

/**
 * host.env as raw variables, for suites that read keys by name. Like `requireTestHost`, it is null
 * only under PIKACI_E2E=0; a missing or dead host fails the suite with the fix instead of skipping.
 */
export function requireHostEnvVars(env: NodeJS.ProcessEnv = process.env): Record<string, string> | null {
  return requireTestHost(env) ? parseHostEnv(readFileSync(hostEnvPath(env), "utf8")) : null;
}
