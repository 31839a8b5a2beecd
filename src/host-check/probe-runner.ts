import { randomBytes } from "node:crypto";
import { describeError } from "../errors/index.js";
import type { IncusClient } from "../incus/client.js";
import type { RunnerProbe } from "./report.js";

/** Probe instances are named like jobs' (`pikaci-`), so `pikaci gc` removes one a crash left behind. */
const probeName = () => `pikaci-check-${randomBytes(4).toString("hex")}`;
const NO_RUNNER = 90;
const ARTIFACTS = "/tmp/pikaci-host-check";

/**
 * Whether an image holds a working guest runner at the contract path: launch a throw-away
 * container of it and run the runner as the host would, on `true`, then read the result.json it
 * wrote. Its `schema_version` is the contract version the runner speaks. Containers only: a VM
 * image's runner is the same file, and VMs do not start on every build host.
 */
export async function probeRunner(params: {
  incus: IncusClient;
  image: string;
  runnerPath: string;
}): Promise<RunnerProbe> {
  const { incus, image, runnerPath } = params;
  const name = probeName();
  try {
    await incus.create({ image, name, vm: false, config: {}, devices: [] }, { start: true });
    const env = {
      PIKACI_INCUS_GUEST_COMMAND: "true",
      PIKACI_INCUS_TIMEOUT_SECS: "30",
      PIKACI_INCUS_RUN_AS_ROOT: "1",
      PIKACI_INCUS_WORKDIR: "/",
      PIKACI_INCUS_ARTIFACTS_DIR: ARTIFACTS,
      RUNNER: runnerPath,
    };
    const script = `[ -x "$RUNNER" ] || exit ${NO_RUNNER}; "$RUNNER" >/dev/null 2>&1; cat ${ARTIFACTS}/result.json 2>/dev/null; exit 0`;
    const result = await incus.exec(name, ["sh", "-c", script], { env, timeoutMs: 60_000 });
    if (result.code === NO_RUNNER) return { present: false, contract_version: null, error: null };
    if (result.code !== 0) {
      return {
        present: true,
        contract_version: null,
        error: `probe exited ${result.code}: ${result.stderr.toString().trim()}`,
      };
    }
    return { present: true, contract_version: contractVersion(result.stdout.toString()), error: null };
  } catch (error) {
    return { present: false, contract_version: null, error: describeError(error) };
  } finally {
    await incus.delete(name, { timeoutMs: 60_000 }).catch(() => {});
  }
}

/** `schema_version` of the runner's result.json; null when it wrote none or not JSON. */
export function contractVersion(resultText: string): number | null {
  try {
    const parsed: unknown = JSON.parse(resultText);
    const version = (parsed as { schema_version?: unknown } | null)?.schema_version;
    return typeof version === "number" && Number.isInteger(version) ? version : null;
  } catch {
    return null;
  }
}
