import { posix } from "node:path";
import { InfrastructureError } from "../../errors/index.js";
import type { Transport } from "../../transport/transport.js";

/**
 * Run one of `pikaci gc`'s sweep scripts on the build host as `sh -c SCRIPT NAME WORKDIR DRY ARG`
 * (`DRY` is 1 for a dry run). The script prints each path it removed, or would remove, on its own line.
 */
export async function runSweep(params: {
  transport: Transport;
  script: string;
  name: string;
  workDir: string;
  dryRun: boolean;
  arg: string;
  /** What the sweep does, for the error: "sweep unused caches". */
  what: string;
}): Promise<string[]> {
  const { transport } = params;
  const argv = ["sh", "-c", params.script, params.name, posix.normalize(params.workDir)];
  argv.push(params.dryRun ? "1" : "0", params.arg);
  const result = await transport.exec(argv, { timeoutMs: 300_000 });
  if (result.code !== 0) {
    throw new InfrastructureError(`cannot ${params.what} on ${transport.description}: ${result.stderr}`);
  }
  return result.stdout
    .toString()
    .split("\n")
    .filter((line) => line !== "");
}
