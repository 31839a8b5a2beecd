// Test build host 2 (test/host/host2.sh): a second incusd with its own INCUS_DIR, reached through a
// second sshd on another port. Same client key as host 1; its own host key and known_hosts file.
import { readFileSync } from "node:fs";
import { parseHostEnv, type TestHost } from "./test-host.js";

export interface TestHost2 extends TestHost {
  /** `ssh://root@127.0.0.1:PORT`, what `--host` takes. */
  url: string;
  /** Empty: host 2 is a daemon of its own, not a project of host 1's. */
  project: string;
  incusDir: string;
}

/** Host 2 from host 1's host.env; throws with the fix when setup.sh ran without it. */
export function testHost2(host: TestHost): TestHost2 {
  const v = parseHostEnv(readFileSync(host.envFile, "utf8"));
  const get = (key: string): string => {
    const value = v[`PIKACI_TEST_HOST2_${key}`];
    if (value === undefined || (value === "" && key !== "PROJECT")) {
      throw new Error(`${host.envFile} lacks PIKACI_TEST_HOST2_${key}; re-run \`bash test/host/setup.sh\``);
    }
    return value;
  };
  return {
    ...host,
    url: get("URL"),
    project: get("PROJECT"),
    sshPort: Number(get("SSH_PORT")),
    knownHostsFile: get("KNOWN_HOSTS_FILE"),
    hostKeyFingerprint: get("KEY_FINGERPRINT"),
    incusDir: get("INCUS_DIR"),
    incusdPid: Number(get("INCUSD_PID")),
    sshdPid: Number(get("SSHD_PID")),
  };
}

/** `--ssh-key` (one client key serves both) and both hosts' `--known-hosts`, for a command over both. */
export function bothHostsKeyFlags(host: TestHost, host2: TestHost2): string[] {
  return [
    "--ssh-key",
    host.sshKey,
    "--known-hosts",
    host.knownHostsFile,
    "--known-hosts",
    host2.knownHostsFile,
  ];
}
