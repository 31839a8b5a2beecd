import { z } from "zod";

/**
 * `pikaci host check`: what was gathered from the build host (facts) and what it means (findings).
 * The JSON output (`--json`) is a HostCheckReport; the schema is its contract.
 */
export const RunnerProbe = z.object({
  /** The runner exists and is executable at the contract path. */
  present: z.boolean(),
  /** `schema_version` of the result.json it wrote for a `true` command; null when it wrote none. */
  contract_version: z.number().int().nullable(),
  /** Why the probe could not tell (the image would not launch, the runner failed). */
  error: z.string().nullable(),
});

export const ImageFacts = z.object({
  alias: z.string(),
  exists: z.boolean(),
  fingerprint: z.string().nullable(),
  /** null when the image is missing (nothing to probe). */
  runner: RunnerProbe.nullable(),
});

export const PoolMember = z.object({
  name: z.string(),
  status: z.string(),
  alias: z.string().nullable(),
  fingerprint: z.string().nullable(),
  claimed: z.boolean(),
});

export const HostFacts = z.object({
  host: z.string(),
  project: z.string().nullable(),
  incus: z.object({
    client: z.string().nullable(),
    server: z.string().nullable(),
    error: z.string().nullable(),
    /**
     * How pikaci reaches Incus there: its REST API on `socket` (forwarded over ssh), or, when that
     * failed (`fallback`: why), one `incus` command per step. Absent in reports from before it was checked.
     */
    api: z.object({ socket: z.string().nullable(), fallback: z.string().nullable() }).optional(),
  }),
  storage: z.object({
    pool: z.string().nullable(),
    driver: z.string().nullable(),
    error: z.string().nullable(),
  }),
  images: z.array(ImageFacts),
  work_dir: z.object({
    path: z.string(),
    exists: z.boolean(),
    /** The dir itself, or the nearest existing parent it would be created in, is writable. */
    writable: z.boolean(),
    free_bytes: z.number().nonnegative().nullable(),
    error: z.string().nullable(),
  }),
  /** Wall time of `true` run as one remote command: the account's shell start-up plus the round trip. */
  shell: z.object({
    samples_ms: z.array(z.number().nonnegative()),
    median_ms: z.number().nonnegative(),
    /** The account's login shell (`$SHELL`) as sshd starts it for each command. */
    login_shell: z.string().nullable(),
    /**
     * Median start-up of that shell with its rc files, timed on the host (`$SHELL -c true` at the
     * SHLVL sshd gave it), apart from the network; null where the host cannot time it.
     */
    startup_ms: z.number().nonnegative().nullable(),
  }),
  pool: z.object({ members: z.array(PoolMember), error: z.string().nullable() }),
});

export const Finding = z.object({
  check: z.enum(["incus", "storage", "image", "work_dir", "shell", "pool"]),
  level: z.enum(["ok", "warn", "problem"]),
  message: z.string(),
  /** What to do; set for every warning and problem. */
  fix: z.string().nullable(),
});

export const HostCheckReport = z.object({
  schema_version: z.literal(1),
  healthy: z.boolean(),
  facts: HostFacts,
  findings: z.array(Finding),
});

/**
 * `--json` with several hosts: each host's report, or why it could not be checked (unreachable,
 * host key not pinned). Healthy only when every host is. One host prints its HostCheckReport alone.
 */
export const HostCheckReports = z.object({
  schema_version: z.literal(1),
  healthy: z.boolean(),
  hosts: z.array(
    z.object({
      /** As given (`--host` or the config's `hosts:`), without query parameters. */
      url: z.string(),
      report: HostCheckReport.nullable(),
      /** Set when the host could not be checked at all; its fix follows on the message's `hint:` line. */
      error: z.string().nullable(),
    }),
  ),
});

export type RunnerProbe = z.infer<typeof RunnerProbe>;
export type ImageFacts = z.infer<typeof ImageFacts>;
export type PoolMember = z.infer<typeof PoolMember>;
export type HostFacts = z.infer<typeof HostFacts>;
export type Finding = z.infer<typeof Finding>;
export type HostCheckReport = z.infer<typeof HostCheckReport>;
export type HostCheckReports = z.infer<typeof HostCheckReports>;
