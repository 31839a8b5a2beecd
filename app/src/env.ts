import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { z } from "zod";
import { UsageError } from "../../src/errors/index.js";
import { parseDurationSecs } from "../../src/schema/duration.js";

const durationOrOff = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => v === "off" || parseDurationSecs(v) !== undefined, {
      message: `${name} must be a duration such as 5m, 90s or 1h, or off`,
    });

/**
 * The App's configuration, read once at start. Every variable is named in the error so an
 * operator sees "WEBHOOK_SECRET is missing", not a stack trace from deep inside probot.
 */
const required = (name: string, hint: string) =>
  z.string({ error: `${name} is missing: ${hint}` }).min(1, `${name} is empty: ${hint}`);

const AppEnvSchema = z.object({
  APP_ID: required("APP_ID", "set it to the App ID shown on the GitHub App's settings page").regex(
    /^\d+$/,
    "APP_ID must be the numeric App ID",
  ),
  PRIVATE_KEY: z.string().min(1).optional(),
  PRIVATE_KEY_PATH: z.string().min(1).optional(),
  WEBHOOK_SECRET: required("WEBHOOK_SECRET", "use the webhook secret configured on the GitHub App"),
  PIKACI_STATE_ROOT: required("PIKACI_STATE_ROOT", "point it at the directory holding runs/<run_id>/"),
  PIKACI_API_TOKEN: required("PIKACI_API_TOKEN", "choose a random bearer token for the JSON API").min(
    16,
    "PIKACI_API_TOKEN must be at least 16 characters",
  ),
  PIKACI_PUBLIC_URL: required("PIKACI_PUBLIC_URL", "the https URL where this App is reachable").url(
    "PIKACI_PUBLIC_URL must be an absolute URL such as https://ci.example.org",
  ),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** GitHub asks for a second between mutating requests; `off` is for a local stand-in of the API. */
  PIKACI_GITHUB_WRITE_THROTTLE: z.enum(["on", "off"]).default("on"),
  /** The GitHub API for GitHub Enterprise Server (`https://ghe.example/api/v3`) or a local stand-in. */
  PIKACI_GITHUB_API_URL: z.string().url("PIKACI_GITHUB_API_URL must be an absolute URL").optional(),
  /** Processes sharing the port (node:cluster); `auto` is one per CPU. */
  PIKACI_APP_WORKERS: z
    .union([z.literal("auto"), z.coerce.number().int().min(1).max(64)], {
      error: "PIKACI_APP_WORKERS must be a number from 1 to 64, or auto",
    })
    .default(1),
  /** How often the reconciler looks for missed deliveries and lost lanes; `off` disables it. */
  PIKACI_RECONCILE_INTERVAL: durationOrOff("PIKACI_RECONCILE_INTERVAL", "5m"),
  /** Added to a lane's timeout before a queued or running lane counts as lost. */
  PIKACI_RECONCILE_GRACE: durationOrOff("PIKACI_RECONCILE_GRACE", "10m"),
});

export interface AppEnv {
  appId: number;
  privateKey: string;
  webhookSecret: string;
  stateRoot: string;
  apiToken: string;
  publicUrl: string;
  port: number;
  host: string;
  writeThrottle: boolean;
  /** Optional so callers building an AppEnv by hand (tests) need not care: 1 and api.github.com. */
  workers?: number;
  githubApiUrl?: string | null;
  /** Seconds between reconcile passes; null: no reconciler (also the default for hand-built envs). */
  reconcileIntervalSecs?: number | null;
  /** Seconds added to a lane's timeout before it counts as lost (default 600). */
  reconcileGraceSecs?: number;
}

export function loadAppEnv(env: NodeJS.ProcessEnv = process.env): AppEnv {
  const parsed = AppEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message);
    throw new UsageError(`invalid App environment:\n  ${problems.join("\n  ")}`, {
      hint: "set the variables named above (see docs/app.md)",
    });
  }
  const e = parsed.data;
  return {
    appId: Number(e.APP_ID),
    privateKey: readPrivateKey(e.PRIVATE_KEY, e.PRIVATE_KEY_PATH),
    webhookSecret: e.WEBHOOK_SECRET,
    stateRoot: e.PIKACI_STATE_ROOT,
    apiToken: e.PIKACI_API_TOKEN,
    publicUrl: e.PIKACI_PUBLIC_URL.replace(/\/+$/, ""),
    port: e.PORT,
    host: e.HOST,
    writeThrottle: e.PIKACI_GITHUB_WRITE_THROTTLE === "on",
    workers: e.PIKACI_APP_WORKERS === "auto" ? availableParallelism() : e.PIKACI_APP_WORKERS,
    githubApiUrl: e.PIKACI_GITHUB_API_URL?.replace(/\/+$/, "") ?? null,
    reconcileIntervalSecs:
      e.PIKACI_RECONCILE_INTERVAL === "off" ? null : (parseDurationSecs(e.PIKACI_RECONCILE_INTERVAL) ?? null),
    reconcileGraceSecs:
      e.PIKACI_RECONCILE_GRACE === "off" ? 0 : (parseDurationSecs(e.PIKACI_RECONCILE_GRACE) ?? 600),
  };
}

function readPrivateKey(inline: string | undefined, path: string | undefined): string {
  if (inline) {
    // Env files often carry the PEM on one line with literal "\n".
    const key = inline.includes("\\n") ? inline.replace(/\\n/g, "\n") : inline;
    if (!key.includes("PRIVATE KEY-----")) {
      throw new UsageError("PRIVATE_KEY is not a PEM private key", {
        hint: "paste the whole .pem downloaded from the GitHub App settings, or use PRIVATE_KEY_PATH",
      });
    }
    return key;
  }
  if (path) {
    try {
      return readFileSync(path, "utf8");
    } catch (cause) {
      throw new UsageError(`PRIVATE_KEY_PATH ${path} cannot be read`, {
        hint: "check the path and that the App's user can read it",
        cause,
      });
    }
  }
  throw new UsageError("PRIVATE_KEY is missing (and PRIVATE_KEY_PATH is not set)", {
    hint: "set PRIVATE_KEY to the App's .pem contents or PRIVATE_KEY_PATH to its file",
  });
}
