import type { ExecuteSpec } from "../schema/index.js";
import { formatMemory } from "./memory.js";

/**
 * A lane's limits as Incus instance config keys. `limits.cpu` given a count lets Incus spread the
 * instances over the host's cores; `limits.processes` caps the pids cgroup.
 */
export function incusLimitsConfig(limits: ExecuteSpec["limits"]): Record<string, string> {
  const config: Record<string, string> = {};
  if (limits?.cpu !== undefined) config["limits.cpu"] = String(limits.cpu);
  if (limits?.memory_bytes !== undefined) config["limits.memory"] = formatMemory(limits.memory_bytes);
  if (limits?.processes !== undefined) config["limits.processes"] = String(limits.processes);
  return config;
}
