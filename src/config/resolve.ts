import { UsageError } from "../errors/index.js";
import {
  DEFAULT_IMAGE,
  DEFAULT_INFRA_RETRIES,
  DEFAULT_LOG_LIMIT_BYTES,
  DEFAULT_NETWORK,
  DEFAULT_TIMEOUT_SECS,
  type ExecuteSpec,
  type LaneConfig,
  type LaneLimits,
  type PikaciConfig,
  parseByteSize,
  parseDurationSecs,
} from "../schema/index.js";

/** A lane with every default applied: what the planner and executors work with. */
export interface ResolvedLane {
  id: string;
  title: string;
  /** Globs; empty means the lane always runs. */
  paths: string[];
  execute: ExecuteSpec;
}

/** Apply `defaults` and pikaci's own defaults to one lane (given as config or by id). */
export function resolveLane(
  config: Pick<PikaciConfig, "defaults" | "lanes">,
  lane: LaneConfig | string,
): ResolvedLane {
  const found = typeof lane === "string" ? config.lanes.find((l) => l.id === lane) : lane;
  if (!found) {
    throw new UsageError(`unknown lane \`${String(lane)}\``, {
      hint: `valid lanes: ${config.lanes.map((l) => l.id).join(", ")}`,
    });
  }
  const defaults = config.defaults ?? {};
  const timeout = found.timeout ?? defaults.timeout;
  const logLimit = found.log_limit ?? defaults.log_limit;
  return {
    id: found.id,
    title: found.title ?? found.id,
    paths: [...(found.paths ?? [])],
    execute: {
      command: typeof found.command === "string" ? found.command : found.command.join("\n"),
      run_as_root: found.run_as_root ?? defaults.run_as_root ?? false,
      timeout_secs: (timeout === undefined ? undefined : parseDurationSecs(timeout)) ?? DEFAULT_TIMEOUT_SECS,
      writable_workspace: found.writable_workspace ?? defaults.writable_workspace ?? false,
      image: found.image ?? defaults.image ?? DEFAULT_IMAGE,
      instance_type: found.instance_type ?? defaults.instance_type ?? "container",
      env: { ...defaults.env, ...found.env },
      caches: (found.caches ?? []).map((c) => ({
        name: c.name,
        path: c.path,
        ...(c.key === undefined ? {} : { key: c.key }),
        ...(c.key === undefined || c.restore_keys === undefined ? {} : { restore_keys: [...c.restore_keys] }),
      })),
      mounts: (found.mounts ?? []).map((m) => ({ source: m.source, path: m.path })),
      concurrency_group: found.concurrency_group ?? null,
      infra_retries: found.infra_retries ?? defaults.infra_retries ?? DEFAULT_INFRA_RETRIES,
      log_limit_bytes:
        logLimit === undefined
          ? DEFAULT_LOG_LIMIT_BYTES
          : (parseByteSize(logLimit) ?? DEFAULT_LOG_LIMIT_BYTES),
      // Only when set, so plans of lanes without outputs read as before.
      ...(found.artifacts?.length ? { artifacts: [...found.artifacts] } : {}),
      ...(found.reports?.length ? { reports: found.reports.map((r) => ({ junit: r.junit })) } : {}),
      ...(found.runs_on ? { runs_on: [...found.runs_on] } : {}),
      ...networkOf(found.network),
      ...limitsOf(defaults.limits, found.limits),
    },
  };
}

export function resolveLanes(config: Pick<PikaciConfig, "defaults" | "lanes">): ResolvedLane[] {
  return config.lanes.map((lane) => resolveLane(config, lane));
}

/** `network: true` is the default bridge; false or absent adds nothing (records stay as they were). */
function networkOf(network: boolean | string | undefined): { network?: string } {
  if (network === undefined || network === false) return {};
  return { network: network === true ? DEFAULT_NETWORK : network };
}

/** A lane's limits field by field over `defaults.limits`; nothing when neither sets any. */
function limitsOf(
  defaults: LaneLimits | undefined,
  lane: LaneLimits | undefined,
): Pick<ExecuteSpec, "limits"> {
  const merged = { ...defaults, ...lane };
  const memory = merged.memory === undefined ? undefined : parseByteSize(merged.memory);
  const limits = {
    ...(merged.cpu === undefined ? {} : { cpu: merged.cpu }),
    ...(memory === undefined ? {} : { memory_bytes: memory }),
    ...(merged.processes === undefined ? {} : { processes: merged.processes }),
  };
  return Object.keys(limits).length === 0 ? {} : { limits };
}
