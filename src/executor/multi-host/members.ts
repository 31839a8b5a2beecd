import { describeError, InfrastructureError, UsageError } from "../../errors/index.js";
import { createIncusClient } from "../../incus/client.js";
import { type HostSpec, hostId } from "../../placement/host-spec.js";
import type { Transport } from "../../transport/transport.js";
import type { Executor } from "../executor.js";
import { INSTANCE_PREFIX, LABEL, processOwner } from "../incus/names.js";

/** One build host of the run, opened (or skipped) at the start. */
export interface HostMember {
  id: string;
  capacity: number;
  labels: string[];
  /** null when the host was skipped at the start. */
  executor: Executor | null;
  /**
   * Running pikaci jobs there that other processes launched (this process counts its own as placed);
   * throws when the host does not answer.
   */
  probe: () => Promise<number>;
  /** Set when the start-up probe failed: why the host was skipped. */
  skipped: string | null;
  liveAtStart: number | null;
  close(): Promise<void>;
}

export interface OpenHostsParams {
  specs: readonly HostSpec[];
  /** A host's capacity when its spec sets none (the run's concurrency). */
  defaultCapacity: number;
  defaultProject?: string;
  connect: (url: string) => Promise<Transport>;
  executorFor: (transport: Transport, project: string | undefined) => Executor;
  probeTimeoutMs?: number;
}

/**
 * Connects to every host at once and probes it (`incus list` of its project). A host that does not
 * answer is kept as skipped, with the reason. A bad input (no pinned key) is thrown: it names a fix.
 * With a single host a failed connection is thrown as before, so its error names its own fix.
 */
export async function openHosts(params: OpenHostsParams): Promise<HostMember[]> {
  const opened = await Promise.allSettled(params.specs.map((spec) => openHost(params, spec)));
  const members: HostMember[] = [];
  for (const [i, result] of opened.entries()) {
    if (result.status === "fulfilled") {
      members.push(result.value);
      continue;
    }
    if (result.reason instanceof UsageError || params.specs.length === 1) throw result.reason;
    members.push(skippedMember(params, params.specs[i]!, describeError(result.reason)));
  }
  return members;
}

async function openHost(params: OpenHostsParams, spec: HostSpec): Promise<HostMember> {
  const project = spec.project ?? params.defaultProject;
  const transport = await params.connect(spec.url);
  const incus = createIncusClient({ transport, project });
  const timeoutMs = params.probeTimeoutMs ?? 20_000;
  const probe = () => countJobs(() => incus.list(INSTANCE_PREFIX), timeoutMs, processOwner());
  const base = {
    id: hostId({ url: spec.url, project }),
    capacity: spec.capacity ?? params.defaultCapacity,
    labels: [...spec.labels],
    probe,
    close: () => transport.close(),
  };
  try {
    const live = await probe();
    return { ...base, executor: params.executorFor(transport, project), skipped: null, liveAtStart: live };
  } catch (error) {
    // The only host: its lanes report Incus's own error, as a single host always did.
    if (params.specs.length === 1) {
      return { ...base, executor: params.executorFor(transport, project), skipped: null, liveAtStart: null };
    }
    await transport.close().catch(() => {});
    throw error;
  }
}

/**
 * Jobs, not warm-pool members: only a job's instance carries a run id label. Excluded by owner, not
 * run id: matrix siblings share a run id, and each must count the others' lanes.
 */
export async function countJobs(
  list: () => Promise<{ config: Record<string, string> }[]>,
  timeoutMs: number,
  exceptOwner: string,
): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new InfrastructureError(`the host did not answer \`incus list\` within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    const instances = await Promise.race([list(), timeout]);
    return instances.filter((i) => {
      const owner = i.config[LABEL.owner];
      return i.config[LABEL.runId] !== undefined && owner !== exceptOwner;
    }).length;
  } finally {
    clearTimeout(timer);
  }
}

function skippedMember(params: OpenHostsParams, spec: HostSpec, reason: string): HostMember {
  return {
    id: hostId({ url: spec.url, project: spec.project ?? params.defaultProject }),
    capacity: spec.capacity ?? params.defaultCapacity,
    labels: [...spec.labels],
    executor: null,
    probe: () => Promise.reject(new InfrastructureError(reason)),
    skipped: reason,
    liveAtStart: null,
    close: async () => {},
  };
}
