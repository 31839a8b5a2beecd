import { InfrastructureError } from "../errors/index.js";
import type { Transport } from "../transport/transport.js";
import {
  type ClusterInfo,
  clusterTarget,
  membersQueryArgv,
  NOT_CLUSTERED,
  parseMemberNames,
  parseServerClustered,
  serverQueryArgv,
} from "./cluster.js";

async function query(transport: Transport, argv: string[]): Promise<string> {
  const result = await transport.exec(argv, { timeoutMs: 30_000 });
  if (result.code !== 0) {
    throw new InfrastructureError(
      `${argv.join(" ")} failed on ${transport.description}: ${result.stderr.toString().trim() || "no output"}`,
      { hint: "check the build host's Incus (`incus info`) and that the ssh user may use it" },
    );
  }
  return result.stdout.toString();
}

/** Whether the host's Incus is a cluster, and its members' names: two `incus query` calls at most. */
export async function probeCluster(transport: Transport): Promise<ClusterInfo> {
  if (!parseServerClustered(await query(transport, serverQueryArgv()))) return NOT_CLUSTERED;
  return { clustered: true, members: parseMemberNames(await query(transport, membersQueryArgv())) };
}

/**
 * The `--target` of each lane on one host. The host is probed once, and only when a lane has labels
 * at all: a lane without them is placed by Incus whether or not the host is a cluster.
 */
export function clusterTargets(
  transport: Transport,
): (labels: readonly string[]) => Promise<string | undefined> {
  let cluster: Promise<ClusterInfo> | null = null;
  return async (labels) => {
    if (labels.length === 0) return undefined;
    cluster ??= probeCluster(transport);
    // A failed probe is not cached: the next lane asks again.
    const info = await cluster.catch((error: unknown) => {
      cluster = null;
      throw error;
    });
    return clusterTarget(info, labels);
  };
}
