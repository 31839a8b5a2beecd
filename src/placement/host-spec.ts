import { UsageError } from "../errors/index.js";
import { type HostConfig, HostLabel } from "../schema/index.js";
import { parseHostUrl } from "../transport/host-url.js";

/** One build host of a run, as the CLI's `--host`, the Action's `hosts` or the config's `hosts:` name it. */
export interface HostSpec {
  /** `ssh://user@host:port` or `localhost`, without query parameters: what the transport dials. */
  url: string;
  /** Most lanes of this run on it at once; undefined: the run's concurrency. */
  capacity?: number;
  labels: string[];
  /** Incus project on this host; undefined: the run's `--incus-project`, else Incus's default. */
  project?: string;
}

const QUERY_HINT =
  "use ?capacity=N, ?labels=a,b and ?project=NAME (e.g. ssh://ci@10.0.0.5:22?capacity=4&labels=x86_64,big)";
const PROJECT = /^[A-Za-z0-9_-]{1,63}$/;

/** `ssh://user@host:port?capacity=4&labels=a,b&project=p` → a HostSpec; an unknown parameter is refused. */
export function parseHostSpec(text: string): HostSpec {
  const trimmed = text.trim();
  const q = trimmed.indexOf("?");
  const url = q < 0 ? trimmed : trimmed.slice(0, q);
  parseHostUrl(url);
  const spec: HostSpec = { url, labels: [] };
  if (q < 0) return spec;
  for (const [key, value] of new URLSearchParams(trimmed.slice(q + 1))) {
    applyParam(spec, key, value, trimmed);
  }
  return spec;
}

function applyParam(spec: HostSpec, key: string, value: string, text: string): void {
  if (key === "capacity") {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > 64) {
      throw new UsageError(`build host '${text}': capacity must be a whole number from 1 to 64`, {
        hint: QUERY_HINT,
      });
    }
    spec.capacity = n;
  } else if (key === "labels") {
    spec.labels = value.split(",").filter((label) => label !== "");
    const bad = spec.labels.find((label) => !HostLabel.safeParse(label).success);
    if (bad !== undefined) {
      throw new UsageError(`build host '${text}': label '${bad}' is not valid`, {
        hint: "labels use letters, digits, '.', '_' and '-', separated by commas",
      });
    }
  } else if (key === "project") {
    if (!PROJECT.test(value)) {
      throw new UsageError(`build host '${text}': project '${value}' is not an Incus project name`, {
        hint: QUERY_HINT,
      });
    }
    spec.project = value;
  } else {
    throw new UsageError(`build host '${text}' has an unknown parameter '${key}'`, { hint: QUERY_HINT });
  }
}

/** A config `hosts:` entry: its keys win over the same parameters in its url. */
export function hostSpecFromConfig(entry: HostConfig): HostSpec {
  const fromUrl = parseHostSpec(entry.url);
  return {
    url: fromUrl.url,
    labels: entry.labels ? [...entry.labels] : fromUrl.labels,
    ...withDefined("capacity", entry.capacity ?? fromUrl.capacity),
    ...withDefined("project", entry.project ?? fromUrl.project),
  };
}

const withDefined = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/**
 * The id a host is recorded and placed under: its URL as the transport describes it, plus the
 * project when one is set (two projects behind one sshd are two hosts). Never has credentials.
 */
export function hostId(spec: Pick<HostSpec, "url" | "project">): string {
  const target = parseHostUrl(spec.url);
  return spec.project === undefined ? target.description : `${target.description}?project=${spec.project}`;
}

/** Refuses the same host (and project) twice: it would double its capacity without a second machine. */
export function checkDistinct(specs: readonly HostSpec[]): void {
  const seen = new Set<string>();
  for (const spec of specs) {
    const id = hostId(spec);
    if (seen.has(id)) {
      throw new UsageError(`build host ${id} is named twice`, {
        hint: "name each host once, and give it the capacity of both entries (?capacity=N)",
      });
    }
    seen.add(id);
  }
}
