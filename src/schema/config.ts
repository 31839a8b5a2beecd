import { z } from "zod";
import { LogLimit } from "./byte-size.js";
import { Duration } from "./duration.js";
import { LaneId } from "./ids.js";

/**
 * `.github/pikaci.yml`. Objects are strict: an unknown key is an error with a
 * "did you mean" hint, because a misspelt `comand` silently ignored is worse than a red check.
 */

const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "environment variable names are [A-Za-z_][A-Za-z0-9_]*");
const EnvMap = z.record(EnvName, z.string());

/** A guest path: absolute, no `..`, so a mount can never land outside where it is meant to. */
const GuestPath = z
  .string()
  .regex(/^\/[^\0]*$/, "must be an absolute path")
  .refine((p) => !p.split("/").includes(".."), { message: "must not contain '..'" });

/** A path relative to the workspace, never escaping it. */
const RelativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), {
    message: "must be relative to the repository and must not contain '..'",
  });

export const CacheSpec = z.strictObject({
  /** Host-side directory `cache/<name>` under the remote work dir, shared by lanes that name it. */
  name: LaneId,
  /** Where the cache is mounted read-write in the guest. */
  path: GuestPath,
  /**
   * Makes the cache keyed (docs/dependencies.md §4): the lane gets a copy of the cache saved under
   * this key (or of the newest matching `restore_keys` prefix), and a passing lane saves its copy
   * under the key if none is saved yet. Text plus `{{ hashFiles('glob', …) }}`, e.g.
   * `npm-{{ hashFiles('package-lock.json') }}`. Without a key the cache is one shared directory.
   */
  key: z.string().min(1).max(200).optional(),
  /** Key prefixes tried in order when the key itself is not saved, e.g. `npm-`. */
  restore_keys: z.array(z.string().min(1).max(200)).optional(),
});

export const MountSpec = z.strictObject({
  /** A directory of the workspace (relative), staged to the build host and mounted read-only. */
  source: RelativePath,
  /** Where it appears in the guest. */
  path: GuestPath,
});

/**
 * A glob for files a lane leaves behind: relative to the workspace, or absolute in the guest.
 * `$PIKACI_OUTPUT_DIR/` at the start stands for the lane's writable output dir (see docs/test-results.md).
 */
const OutputGlob = z
  .string()
  .min(1)
  .refine((p) => !p.split("/").includes(".."), { message: "must not contain '..'" });

export const ReportSpec = z.strictObject({
  /** JUnit XML files (a glob, like `artifacts`); they are collected as artifacts too. */
  junit: OutputGlob,
});

export const InstanceType = z.enum(["container", "vm"]);

/** Settings a lane inherits unless it sets its own. */
export const LaneDefaults = z.strictObject({
  timeout: Duration.optional(),
  image: z.string().min(1).optional(),
  instance_type: InstanceType.optional(),
  run_as_root: z.boolean().optional(),
  writable_workspace: z.boolean().optional(),
  env: EnvMap.optional(),
  /** How many times an infrastructure failure is retried (test failures never are). */
  infra_retries: z.number().int().min(0).max(5).optional(),
  /** Cap on each lane's stored log (head and tail kept, the cut marked); default 100MiB. */
  log_limit: LogLimit.optional(),
  /**
   * Running instances the Incus executor keeps ready per image (docs/incus-notes.md "Warm pool");
   * 0 (the default): every lane launches its own instance.
   */
  warm_pool: z.number().int().min(0).max(64).optional(),
});

export const LaneConfig = z.strictObject({
  id: LaneId,
  title: z.string().min(1).max(200).optional(),
  /** Run with `bash -c` (or `sh -c`) in the workspace. A list is joined with newlines. */
  command: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** Globs (picomatch) over repository paths; empty or absent means "always run". */
  paths: z.array(z.string().min(1)).optional(),
  timeout: Duration.optional(),
  run_as_root: z.boolean().optional(),
  writable_workspace: z.boolean().optional(),
  image: z.string().min(1).optional(),
  instance_type: InstanceType.optional(),
  env: EnvMap.optional(),
  caches: z.array(CacheSpec).optional(),
  /**
   * Network for this lane: `true` joins the build host's `pikacibr0` bridge (NAT), a string names
   * another managed Incus network. Default: no network at all. A fork's lanes only get it once a
   * maintainer approved them.
   */
  network: z
    .union([z.boolean(), z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, "an Incus network name")])
    .optional(),
  /** Lanes sharing a group never run at the same time. */
  concurrency_group: z.string().min(1).max(64).optional(),
  mounts: z.array(MountSpec).optional(),
  infra_retries: z.number().int().min(0).max(5).optional(),
  log_limit: LogLimit.optional(),
  /** Files the lane wrote, collected into the run's state root and the uploaded artifact. */
  artifacts: z.array(OutputGlob).max(50).optional(),
  /** Test reports to read into per-test results. */
  reports: z.array(ReportSpec).max(20).optional(),
});

/** What goes into a lane's workspace besides the files git lists (docs/snapshot-hash.md §1). */
export const SnapshotConfig = z.strictObject({
  /**
   * Globs (picomatch, relative to the repository) of ignored files to add, such as `node_modules/**`
   * prepared by `npm ci` before `pikaci run`. Hashed and synced like every other file. A glob with a
   * leading `!` leaves its matches out (`!node_modules/.cache/**`).
   */
  include: z
    .array(
      z
        .string()
        .min(1)
        .refine((g) => !g.replace(/^!/, "").startsWith("/") && !g.split("/").includes(".."), {
          message: "must be relative to the repository and must not contain '..'",
        }),
    )
    .optional(),
});

/** Which workflow the App dispatches, and on which ref. */
export const WorkflowConfig = z.strictObject({
  file: z.string().min(1).default("pikaci.yml"),
  /** Defaults to the repository's default branch. */
  ref: z.string().min(1).optional(),
});

/**
 * A branch name pattern as in a workflow's `on.push.branches`: `*` matches within one path
 * segment, `**` across them (`release/*`, `feature/**`). Exact names match themselves.
 */
const BranchPattern = z
  .string()
  .min(1)
  .max(255)
  .refine((p) => !p.startsWith("refs/"), {
    message: "name the branch, not the ref (main, not refs/heads/main)",
  })
  .refine((p) => !p.startsWith("!"), {
    message: "negated patterns are not supported; list the branches to run on",
  });

/** Pushes the App runs the lanes for, on the pushed commit (pull requests always run). */
export const PushTrigger = z.strictObject({
  branches: z.array(BranchPattern).min(1, "list at least one branch, e.g. [main]"),
});

/** Events besides pull requests that run the lanes. Pull requests and merge queues always do. */
export const TriggersConfig = z.strictObject({
  push: PushTrigger.optional(),
});

export const PikaciConfig = z.strictObject({
  version: z.literal(1),
  /** `on: { push: { branches: [main, "release/*"] } }`: also run on pushes to these branches. */
  on: TriggersConfig.optional(),
  defaults: LaneDefaults.optional(),
  workflow: WorkflowConfig.optional(),
  lanes: z.array(LaneConfig).min(1, "declare at least one lane"),
  snapshot: SnapshotConfig.optional(),
});

export type CacheSpec = z.infer<typeof CacheSpec>;
export type MountSpec = z.infer<typeof MountSpec>;
export type ReportSpec = z.infer<typeof ReportSpec>;
export type LaneDefaults = z.infer<typeof LaneDefaults>;
export type LaneConfig = z.infer<typeof LaneConfig>;
export type PikaciConfig = z.infer<typeof PikaciConfig>;
export type PushTrigger = z.infer<typeof PushTrigger>;
export type InstanceType = z.infer<typeof InstanceType>;

/** Where the App and Action look for the config in a repository. */
export const DEFAULT_CONFIG_PATH = ".github/pikaci.yml";
export const DEFAULT_TIMEOUT_SECS = 1800;
export const DEFAULT_IMAGE = "pikaci-debian";
export const DEFAULT_INFRA_RETRIES = 1;
/** The managed bridge `network: true` joins (test/host/setup.sh creates it). */
export const DEFAULT_NETWORK = "pikacibr0";
