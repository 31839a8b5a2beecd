import { CLAIM_DEVICE, POOL_LABEL, POOL_PREFIX } from "../executor/incus/warm-pool.js";
import type { Transport } from "../transport/transport.js";
import type { HostFacts, PoolMember } from "./report.js";

/**
 * The Incus side of the host check, each as one `incus` command over the transport. `incus query`
 * refuses `--project`, so the project goes into the URL.
 */
export type IncusFacts = Pick<HostFacts, "incus" | "storage">;

const firstLine = (text: string) => text.trim().split("\n").at(-1) ?? "";

async function query(
  transport: Transport,
  path: string,
): Promise<{ ok: true; json: unknown } | { ok: false; error: string }> {
  const result = await transport.exec(["incus", "query", path], { timeoutMs: 30_000 });
  if (result.code !== 0)
    return { ok: false, error: firstLine(result.stderr.toString()) || `exit ${result.code}` };
  try {
    return { ok: true, json: JSON.parse(result.stdout.toString()) };
  } catch {
    return { ok: false, error: `incus query ${path} printed no JSON` };
  }
}

export const projectQuery = (project?: string) => (project ? `?project=${encodeURIComponent(project)}` : "");

export async function incusVersion(transport: Transport): Promise<HostFacts["incus"]> {
  const result = await transport.exec(["incus", "version"], { timeoutMs: 30_000 }).catch((error: Error) => ({
    code: 127,
    stdout: Buffer.from(""),
    stderr: Buffer.from(error.message),
  }));
  const text = result.stdout.toString();
  const client = /Client version:\s*(\S+)/.exec(text)?.[1] ?? null;
  const server = /Server version:\s*(\S+)/.exec(text)?.[1] ?? null;
  const unreachable = server === null || server === "unreachable";
  return {
    client,
    server: unreachable ? null : server,
    error: unreachable ? firstLine(result.stderr.toString()) || `incus version exited ${result.code}` : null,
  };
}

/** The pool new instances get: the root disk of the project's default profile, and its driver. */
export async function rootPool(transport: Transport, project?: string): Promise<HostFacts["storage"]> {
  const profile = await query(transport, `/1.0/profiles/default${projectQuery(project)}`);
  if (!profile.ok) return { pool: null, driver: null, error: profile.error };
  const devices = (profile.json as { devices?: Record<string, Record<string, string>> }).devices ?? {};
  const root = Object.values(devices).find((d) => d.type === "disk" && d.path === "/");
  if (!root?.pool) return { pool: null, driver: null, error: "the default profile has no root disk" };
  const pool = await query(transport, `/1.0/storage-pools/${encodeURIComponent(root.pool)}`);
  if (!pool.ok) return { pool: root.pool, driver: null, error: pool.error };
  return { pool: root.pool, driver: (pool.json as { driver?: string }).driver ?? null, error: null };
}

/** The image an alias points at now; null when the alias does not exist (in the project). */
export async function aliasFingerprint(
  transport: Transport,
  alias: string,
  project?: string,
): Promise<{ fingerprint: string | null; error: string | null }> {
  const found = await query(
    transport,
    `/1.0/images/aliases/${encodeURIComponent(alias)}${projectQuery(project)}`,
  );
  if (found.ok) return { fingerprint: (found.json as { target?: string }).target ?? null, error: null };
  return /not found/i.test(found.error)
    ? { fingerprint: null, error: null }
    : { fingerprint: null, error: found.error };
}

export async function poolMembers(
  transport: Transport,
  project?: string,
): Promise<{ members: PoolMember[]; error: string | null }> {
  const argv = ["incus", "list", ...(project ? ["--project", project] : []), "--format", "json", POOL_PREFIX];
  const result = await transport.exec(argv, { timeoutMs: 60_000 });
  if (result.code !== 0) return { members: [], error: firstLine(result.stderr.toString()) };
  let items: unknown;
  try {
    items = JSON.parse(result.stdout.toString());
  } catch {
    return { members: [], error: "incus list printed no JSON" };
  }
  return { members: Array.isArray(items) ? items.flatMap(toMember) : [], error: null };
}

function toMember(item: {
  name?: unknown;
  status?: unknown;
  config?: Record<string, string>;
  devices?: Record<string, unknown>;
}): PoolMember[] {
  if (typeof item.name !== "string" || !item.name.startsWith(POOL_PREFIX)) return [];
  return [
    {
      name: item.name,
      status: typeof item.status === "string" ? item.status : "Unknown",
      alias: item.config?.[POOL_LABEL.alias] ?? null,
      fingerprint: item.config?.[POOL_LABEL.fingerprint] ?? null,
      claimed: Object.hasOwn(item.devices ?? {}, CLAIM_DEVICE),
    },
  ];
}
