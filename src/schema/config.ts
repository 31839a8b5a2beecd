import { z } from "zod";
import { ByteSize, LogLimit, parseByteSize } from "./byte-size.js";
import { Duration } from "./duration.js";
import { LaneId } from "./ids.js";

/**
 * `.github/pikaci.yml`. Objects are strict: an unknown key is an error with a
 * "did you mean" hint, because a misspelt `comand` silently ignored is worse than a red check.
 * Each field's meaning is its `.describe()`: it flows into the published JSON Schema and the
 * generated docs/config.md, so it is written once, here.
 */

/** Where the App and Action look for the config in a repository. */
export const DEFAULT_CONFIG_PATH = ".github/pikaci.yml";
export const DEFAULT_TIMEOUT_SECS = 1800;
export const DEFAULT_IMAGE = "pikaci-debian";
export const DEFAULT_INFRA_RETRIES = 1;
/** The managed bridge `network: true` joins (test/host/setup.sh creates it). */
export const DEFAULT_NETWORK = "pikacibr0";

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
  name: LaneId.describe(
    "Host-side directory `cache/<name>` under the remote work dir, shared by lanes that name it.",
  ),
  path: GuestPath.describe("Where the cache is mounted read-write in the guest."),
  key: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      "Makes the cache keyed (docs/dependencies.md §4): the lane gets a copy of the cache saved under this key (or of the newest matching `restore_keys` prefix), and a passing lane saves its copy under the key if none is saved yet. Text plus `{{ hashFiles('glob', …) }}`, e.g. `npm-{{ hashFiles('package-lock.json') }}`. Without a key the cache is one shared directory.",
    ),
  restore_keys: z
    .array(z.string().min(1).max(200))
    .optional()
    .describe("Key prefixes tried in order when the key itself is not saved, e.g. `npm-`."),
});

export const MountSpec = z.strictObject({
  source: RelativePath.describe(
    "A directory of the workspace (relative), staged to the build host and mounted read-only.",
  ),
  path: GuestPath.describe("Where it appears in the guest."),
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
  junit: OutputGlob.describe(
    "JUnit XML files (a glob, like `artifacts`); they are collected as artifacts too.",
  ),
});

export const InstanceType = z.enum(["container", "vm"]);

// Settings a lane may set itself or inherit from `defaults`: one schema, so one meaning, for both.
const LaneTimeout = Duration.describe(
  `How long the lane's command may run before it is stopped and the lane fails; default ${DEFAULT_TIMEOUT_SECS}s.`,
);
const LaneImage = z
  .string()
  .min(1)
  .describe(
    `The Incus image the lane's instance is created from on the build host; default \`${DEFAULT_IMAGE}\`.`,
  );
const LaneInstanceType = InstanceType.describe(
  "Run the lane in a system container (`container`, the default) or a virtual machine (`vm`).",
);
const LaneRunAsRoot = z
  .boolean()
  .describe("Run the command as root in the guest; by default it runs as an unprivileged user.");
const LaneWritableWorkspace = z
  .boolean()
  .describe(
    "Give the lane a private writable copy of the workspace; by default the workspace is mounted read-only.",
  );
const LaneEnv = EnvMap.describe(
  "Environment variables for the command; a lane's own are laid over those in `defaults`.",
);
const LaneInfraRetries = z
  .number()
  .int()
  .min(0)
  .max(5)
  .describe(
    `How many times an infrastructure failure is retried (test failures never are); default ${DEFAULT_INFRA_RETRIES}.`,
  );

/** Incus refuses to start a container below a few MiB; anything smaller is a typo for a unit. */
const MIN_MEMORY_LIMIT_BYTES = 4 * 1024 * 1024;

/** A lane's resource caps; each field set on a lane overrides the same field of `defaults.limits`. */
export const LaneLimits = z
  .strictObject({
    cpu: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .optional()
      .describe("CPUs the lane's instance may use (Incus `limits.cpu`). Not enforced by the local executor."),
    memory: ByteSize.refine((value) => (parseByteSize(value) ?? 0) >= MIN_MEMORY_LIMIT_BYTES, {
      message: "memory must be at least 4MiB",
    })
      .optional()
      .describe(
        "Memory cap, at least `4MiB`, e.g. `512MiB` or `2GiB` (Incus `limits.memory`). A lane killed for exceeding it fails with `out of memory (limit 512MiB)`. Not enforced by the local executor.",
      ),
    processes: z
      .number()
      .int()
      .min(1)
      .max(4_194_304)
      .optional()
      .describe(
        "Most processes at once (Incus `limits.processes`): stops a fork bomb. Not enforced by the local executor.",
      ),
  })
  .describe(
    "Resource caps on the lane's Incus instance. The local executor runs lanes as you, on your machine, and enforces none of them (it logs that it does not).",
  );

export const LaneDefaults = z.strictObject({
  timeout: LaneTimeout.optional(),
  image: LaneImage.optional(),
  instance_type: LaneInstanceType.optional(),
  run_as_root: LaneRunAsRoot.optional(),
  writable_workspace: LaneWritableWorkspace.optional(),
  env: LaneEnv.optional(),
  infra_retries: LaneInfraRetries.optional(),
  log_limit: LogLimit.optional(),
  limits: LaneLimits.optional(),
  warm_pool: z
    .number()
    .int()
    .min(0)
    .max(64)
    .optional()
    .describe(
      'Running instances the Incus executor keeps ready per image (docs/incus-notes.md "Warm pool"); 0, the default: every lane launches its own instance.',
    ),
});

/** A host label, as `runs_on` names it and `hosts[].labels` declares it. */
export const HostLabel = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,62}$/, "labels use letters, digits, '.', '_' and '-'");

export const HostConfig = z.strictObject({
  url: z
    .string()
    .regex(/^(ssh:\/\/\S+|localhost)$/, "must be ssh://user@host:port or `localhost`")
    .describe(
      "The build host, `ssh://user@host:port` (or `localhost`). Query parameters `capacity`, `labels` and `project` are accepted here too; the keys below win.",
    ),
  capacity: z
    .number()
    .int()
    .min(1)
    .max(64)
    .optional()
    .describe(
      "Most lanes of one run on this host at once; pikaci also counts the pikaci instances already running there. Default: the run's concurrency (`--concurrency`, the Action's `concurrency`).",
    ),
  labels: z
    .array(HostLabel)
    .max(32)
    .optional()
    .describe("What this host offers (`x86_64`, `big`, …); a lane's `runs_on` picks hosts by them."),
  project: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, "an Incus project name")
    .optional()
    .describe("The Incus project to use on this host; default: `--incus-project`, else Incus's default."),
});

export const LaneConfig = z.strictObject({
  id: LaneId.describe(
    "The lane's name: its check run, its `--lane` selector and its records are named after it.",
  ),
  title: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("A human title for the lane, written into its plan (`plan.json`); defaults to the id."),
  command: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .describe("Run with `bash -c` (or `sh -c`) in the workspace. A list is joined with newlines."),
  paths: z
    .array(z.string().min(1))
    .optional()
    .describe('Globs (picomatch) over repository paths; empty or absent means "always run".'),
  timeout: LaneTimeout.optional(),
  run_as_root: LaneRunAsRoot.optional(),
  writable_workspace: LaneWritableWorkspace.optional(),
  image: LaneImage.optional(),
  instance_type: LaneInstanceType.optional(),
  env: LaneEnv.optional(),
  caches: z
    .array(CacheSpec)
    .optional()
    .describe("Host-side directories mounted read-write into the guest, kept between runs."),
  network: z
    .union([z.boolean(), z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, "an Incus network name")])
    .optional()
    .describe(
      `Network for this lane: \`true\` joins the build host's \`${DEFAULT_NETWORK}\` bridge (NAT), a string names another managed Incus network. Default: no network at all. A fork's lanes only get it once a maintainer approved them.`,
    ),
  concurrency_group: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe("Lanes sharing a group never run at the same time."),
  mounts: z
    .array(MountSpec)
    .optional()
    .describe("Workspace directories mounted read-only at another path in the guest."),
  infra_retries: LaneInfraRetries.optional(),
  log_limit: LogLimit.optional(),
  artifacts: z
    .array(OutputGlob)
    .max(50)
    .optional()
    .describe("Files the lane wrote, collected into the run's state root and the uploaded artifact."),
  reports: z.array(ReportSpec).max(20).optional().describe("Test reports to read into per-test results."),
  limits: LaneLimits.optional(),
  runs_on: z
    .array(HostLabel)
    .min(1)
    .max(16)
    .optional()
    .describe(
      "Labels a build host must have (every one of them) to run this lane (`hosts[].labels`). A lane whose labels match no host fails at once, naming the labels and the hosts.",
    ),
});

export const SnapshotConfig = z.strictObject({
  include: z
    .array(
      z
        .string()
        .min(1)
        .refine((g) => !g.replace(/^!/, "").startsWith("/") && !g.split("/").includes(".."), {
          message: "must be relative to the repository and must not contain '..'",
        }),
    )
    .optional()
    .describe(
      "Globs (picomatch, relative to the repository) of ignored files to add, such as `node_modules/**` prepared by `npm ci` before `pikaci run`. Hashed and synced like every other file. A glob with a leading `!` leaves its matches out (`!node_modules/.cache/**`).",
    ),
});

export const WorkflowConfig = z.strictObject({
  file: z
    .string()
    .min(1)
    .default("pikaci.yml")
    .describe("The workflow file under `.github/workflows/` that runs the pikaci Action."),
  ref: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The branch or tag the workflow is dispatched on; defaults to the repository's default branch.",
    ),
});

// Refs and negations are refused rather than half-supported: a workflow's syntax that does something else here would mislead.
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

export const PushTrigger = z.strictObject({
  branches: z
    .array(BranchPattern)
    .min(1, "list at least one branch, e.g. [main]")
    .describe(
      "Branch name patterns as in a workflow's `on.push.branches`: `*` matches within one path segment, `**` across them (`release/*`, `feature/**`). Exact names match themselves.",
    ),
});

export const TriggersConfig = z.strictObject({
  push: PushTrigger.optional().describe(
    "Pushes the App runs the lanes for, on the pushed commit (pull requests always run).",
  ),
});

export const PikaciConfig = z.strictObject({
  version: z.literal(1).describe("The config format's version; always `1`."),
  on: TriggersConfig.optional().describe(
    'Events besides pull requests that run the lanes (pull requests and merge queues always do), e.g. `on: { push: { branches: [main, "release/*"] } }`.',
  ),
  defaults: LaneDefaults.optional().describe("Settings a lane inherits unless it sets its own."),
  workflow: WorkflowConfig.optional().describe("Which workflow the App dispatches, and on which ref."),
  lanes: z
    .array(LaneConfig)
    .min(1, "declare at least one lane")
    .describe("The checks to run: each lane runs in its own instance and reports as its own check run."),
  snapshot: SnapshotConfig.optional().describe(
    "What goes into a lane's workspace besides the files git lists (docs/snapshot-hash.md §1).",
  ),
  hosts: z
    .array(HostConfig)
    .min(1)
    .max(64)
    .optional()
    .describe(
      "Build hosts the lanes are spread over (used when neither `--host` nor the Action's `host`/`hosts` names any): each lane goes to the matching host with the most free capacity, and an infrastructure failure is retried on another host (docs/several-hosts.md).",
    ),
});

export type CacheSpec = z.infer<typeof CacheSpec>;
export type MountSpec = z.infer<typeof MountSpec>;
export type ReportSpec = z.infer<typeof ReportSpec>;
export type LaneLimits = z.infer<typeof LaneLimits>;
export type LaneDefaults = z.infer<typeof LaneDefaults>;
export type LaneConfig = z.infer<typeof LaneConfig>;
export type PikaciConfig = z.infer<typeof PikaciConfig>;
export type HostConfig = z.infer<typeof HostConfig>;
export type PushTrigger = z.infer<typeof PushTrigger>;
export type InstanceType = z.infer<typeof InstanceType>;
