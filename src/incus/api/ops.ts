import type { InstancePatch } from "../argv.js";
import { type InstanceSummary, summarizeInstances } from "../list.js";
import { type IncusApi, IncusApiError } from "./api.js";

/** The client's operations that have a direct API form: what the CLI would do, minus its process. */
const instancePath = (name: string) => `/1.0/instances/${encodeURIComponent(name)}`;
const isGone = (error: unknown) => error instanceof IncusApiError && error.status === 404;

export async function apiList(api: IncusApi, prefix: string): Promise<InstanceSummary[]> {
  const result = await api.call("GET", "/1.0/instances?recursion=1");
  return summarizeInstances(result.metadata).filter((i) => i.name.startsWith(prefix));
}

export async function apiImageFingerprint(api: IncusApi, alias: string): Promise<string | null> {
  try {
    const result = await api.call("GET", `/1.0/images/aliases/${encodeURIComponent(alias)}`);
    const target = (result.metadata as { target?: unknown } | null)?.target;
    return typeof target === "string" ? target : null;
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
}

/**
 * The claim: read the instance with its ETag, refuse a claimed or stopped one, and add the device
 * with `If-Match`, so of concurrent claimers of one ETag exactly one write lands (the others get
 * 412). The same read-check-write `incus config device add` does, in two requests; the job's own
 * config and disks (`plug`) ride in the same write, so claim and hot-plug cost one daemon update.
 */
export async function apiClaim(
  api: IncusApi,
  name: string,
  device: string,
  plug?: InstancePatch,
): Promise<boolean> {
  try {
    const read = await api.call("GET", instancePath(name));
    const instance = read.metadata as { status?: string; devices?: Record<string, unknown> } | null;
    if (read.etag === null) throw new Error(`Incus sent no ETag for ${name}; cannot claim atomically`);
    if (instance?.status !== "Running" || instance.devices?.[device] !== undefined) return false;
    await api.call("PATCH", instancePath(name), {
      body: {
        ...(plug ? { config: plug.config } : {}),
        devices: { ...plug?.devices, [device]: { type: "none" } },
      },
      ifMatch: read.etag,
    });
    return true;
  } catch (error) {
    if (error instanceof IncusApiError && (error.status === 404 || error.status === 412)) return false;
    throw error;
  }
}

export async function apiPatch(api: IncusApi, name: string, body: unknown): Promise<void> {
  await api.call("PATCH", instancePath(name), { body });
}

/** `incus delete --force`: stop (forced) if running, then delete; a missing instance counts as deleted. */
export async function apiDelete(api: IncusApi, name: string, timeoutSecs: number): Promise<void> {
  try {
    const stop = await api.call("PUT", `${instancePath(name)}/state`, {
      body: { action: "stop", force: true, timeout: -1 },
    });
    if (stop.operation) await api.wait(stop.operation, timeoutSecs).catch(ignoreNotRunning);
  } catch (error) {
    if (isGone(error)) return;
    ignoreNotRunning(error);
  }
  try {
    const deleted = await api.call("DELETE", instancePath(name));
    if (deleted.operation) await api.wait(deleted.operation, timeoutSecs);
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

function ignoreNotRunning(error: unknown): void {
  if (error instanceof Error && /not running|already stopped/i.test(error.message)) return;
  throw error;
}
