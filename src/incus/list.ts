import { InfrastructureError } from "../errors/index.js";

/** What the instance list (`/1.0/instances?recursion=1`) tells us about one instance: enough for gc to decide. */
export interface InstanceSummary {
  name: string;
  status: string;
  created_at: string | null;
  /** `user.*` labels and other local config keys. */
  config: Record<string, string>;
  /** Names of the instance's own devices (not its profiles'); a warm-pool claim is one of them. */
  devices: string[];
}

export function parseInstanceList(json: string): InstanceSummary[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new InfrastructureError("incus list returned output that is not JSON", {
      hint: "check the build host's incus version (`incus version`); pikaci needs `incus list --format json`",
      cause: error,
    });
  }
  return summarizeInstances(parsed);
}

/** The instance list as the API's `recursion=1` answer holds it (JSON already parsed). */
export function summarizeInstances(parsed: unknown): InstanceSummary[] {
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((item) => {
    if (typeof item !== "object" || item === null || typeof item.name !== "string") return [];
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries((item.config ?? {}) as Record<string, unknown>)) {
      if (typeof value === "string") config[key] = value;
    }
    return [
      {
        name: item.name,
        status: typeof item.status === "string" ? item.status : "Unknown",
        created_at: typeof item.created_at === "string" ? item.created_at : null,
        config,
        devices:
          typeof item.devices === "object" && item.devices !== null ? Object.keys(item.devices).sort() : [],
      },
    ];
  });
}
