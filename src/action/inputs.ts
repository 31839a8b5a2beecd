import { z } from "zod";
import { UsageError } from "../errors/index.js";
import { type HostSpec, parseHostSpec } from "../placement/host-spec.js";
import { DEFAULT_CONFIG_PATH, LaneId, RunId } from "../schema/index.js";

const optional = <T extends z.ZodType>(schema: T) => schema.optional();

const SshUrl = z
  .string()
  .regex(/^ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.:[\]_-]+(?::\d{1,5})?$/, "must look like ssh://user@host:port");

/** One build host per line, each with optional ?capacity=N&labels=a,b&project=NAME. */
const HostList = z.string().transform((v, ctx): HostSpec[] => {
  const specs: HostSpec[] = [];
  for (const line of v.split(/\r?\n/).map((l) => l.trim())) {
    if (line === "" || line.startsWith("#")) continue;
    try {
      specs.push(parseHostSpec(line));
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `line '${line}': ${(error as Error).message}` });
      return z.NEVER;
    }
  }
  return specs;
});

const PrivateKey = z
  .string()
  .refine((k) => /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]+-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(k), {
    message: "is not a PEM/OpenSSH private key",
  });

const KnownHosts = z.string().refine(
  (v) =>
    /^SHA256:[A-Za-z0-9+/]{43}=?$/.test(v.trim()) ||
    v
      .split(/\r?\n/)
      .filter((l) => l.trim() !== "" && !l.trim().startsWith("#"))
      .every((l) => /^\S+\s+(ssh-|ecdsa-|sk-)\S+\s+[A-Za-z0-9+/=]+/.test(l.trim())),
  { message: "must be known_hosts line(s) (`host ssh-ed25519 AAAA…`) or a SHA256:… fingerprint" },
);

const LaneList = z
  .string()
  .transform((v) => v.split(/[\s,]+/).filter((s) => s !== ""))
  .pipe(z.array(LaneId).min(1, "names no lane"));

const CheckRuns = z
  .string()
  .transform((v, ctx) => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "is not valid JSON" });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      LaneId,
      z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]),
      "must be a JSON object mapping lane id to check run id",
    ),
  );

const PositiveInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Raw inputs as `action.yml` names them; every one of them is parsed here (see INPUT_HINTS). */
export const ActionInputsSchema = z
  .object({
    config: z.string().default(DEFAULT_CONFIG_PATH),
    lanes: optional(LaneList),
    "check-runs": optional(CheckRuns),
    token: z.string().min(1, "is empty"),
    host: optional(SshUrl),
    hosts: optional(HostList),
    "ssh-key": optional(PrivateKey),
    "ssh-known-hosts": optional(KnownHosts),
    "incus-project": optional(z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, "is not a valid Incus project name")),
    image: optional(z.string().min(1)),
    "remote-work-dir": optional(z.string().regex(/^\/[^\0]*$/, "must be an absolute path")),
    concurrency: PositiveInt(1, 64).default(2),
    "warm-pool": optional(PositiveInt(0, 64)),
    "details-url": optional(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })),
    "artifact-name": optional(
      z.string().regex(/^[^"<>|*?:\\/\r\n]{1,200}$/, "contains characters an artifact name cannot"),
    ),
    "retention-days": optional(PositiveInt(1, 90)),
    "run-id": optional(RunId),
    "head-sha": optional(z.string().regex(/^[0-9a-f]{40}$/, "must be a full 40-character commit SHA")),
    "pull-request": optional(PositiveInt(1, 2 ** 31 - 1)),
  })
  .superRefine((v, ctx) => {
    if (v.host && v.hosts)
      ctx.addIssue({ code: "custom", path: ["hosts"], message: "cannot be set together with host" });
    const remote = Boolean(v.host || v.hosts?.length);
    if (remote && !v["ssh-key"])
      ctx.addIssue({ code: "custom", path: ["ssh-key"], message: "is required with host" });
    if (remote && !v["ssh-known-hosts"])
      ctx.addIssue({
        code: "custom",
        path: ["ssh-known-hosts"],
        message: "is required with host (keys are pinned, never auto-accepted)",
      });
  });

export type RawInputName = keyof z.input<typeof ActionInputsSchema>;
export type ActionInputs = z.output<typeof ActionInputsSchema>;

/** A GitHub expression as a user writes it in a workflow. */
const gh = (expression: string) => `\`\${{ ${expression} }}\``;

/** What to do about each input when it is wrong. A Record, so adding an input without a hint fails to compile. */
export const INPUT_HINTS: Record<RawInputName, string> = {
  config: "Set `config` to the repository path of the pikaci config, e.g. .github/pikaci.yml.",
  lanes: "Set `lanes` to lane ids from the config, separated by commas or newlines.",
  "check-runs":
    'Pass the App\'s mapping as JSON, e.g. `{"check-rust": 123}`; leave it empty for standalone mode.',
  token: `Pass a token: ${gh("steps.app-token.outputs.token")} when dispatched by the App, else ${gh("github.token")}.`,
  host: "Set `host` to ssh://user@host:port, or leave it empty to run lanes on the runner itself.",
  hosts:
    "Set `hosts` to one ssh://user@host:port per line, optionally with ?capacity=N&labels=a,b&project=NAME (and leave `host` empty).",
  "ssh-key": `Pass the private key content from a secret, e.g. ${gh("secrets.PIKACI_SSH_KEY")}.`,
  "ssh-known-hosts":
    "Pass the host's known_hosts line(s) (ssh-keyscan -p PORT HOST; one per host with several) or its SHA256: fingerprint.",
  "incus-project": "Use the name of an existing Incus project (letters, digits, '-' and '_').",
  image: "Use the alias of an image that exists on the build host.",
  "remote-work-dir": "Use an absolute directory on the build host, e.g. /var/lib/pikaci.",
  concurrency: "Use a number of lanes to run at once between 1 and 64.",
  "warm-pool": "Use a number of running instances to keep per image between 0 and 64 (0: none).",
  "details-url": "Use an absolute http(s) URL, or leave it empty to link the workflow run.",
  "artifact-name": "Use letters, digits, '-', '_' and '.' in the artifact name.",
  "retention-days": "Use a number of days between 1 and 90.",
  "run-id": "Pass the run id the App created (20260324T162238Z-1a2b3c4d), or leave it empty.",
  "head-sha": `Pass the commit the lanes run on, ${gh("inputs.head_sha")} in the dispatch workflow.`,
  "pull-request": `Pass the pull request number, ${gh("inputs.pr")} in the dispatch workflow, or leave it empty.`,
};

/** Read and validate every input; a bad one throws a UsageError naming the input and the fix. */
export function parseInputs(getInput: (name: string) => string): ActionInputs {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(INPUT_HINTS)) {
    const value = getInput(name).trim();
    if (value !== "") raw[name] = name === "ssh-key" ? `${value}\n` : value;
  }
  const parsed = ActionInputsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? "input") as RawInputName;
  // Never echo the value: it may be the key or the token.
  const message = issue.code === "invalid_type" && raw[name] === undefined ? "is required" : issue.message;
  throw new UsageError(`Input '${name}' ${message}.`, { hint: INPUT_HINTS[name] });
}
