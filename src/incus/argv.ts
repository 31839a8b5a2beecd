/**
 * Pure argv builders for the `incus` CLI. Every Incus command pikaci runs is built here, as an argv
 * array; the transport quotes it in one place. Tested on data, no Incus needed.
 */
export interface IncusScope {
  /** Only passed when configured: the default project needs no flag. */
  project?: string;
}

export interface DiskDevice {
  /** At most 20 characters (Incus/virtiofs tag limits); see `assertDeviceName`. */
  name: string;
  /** Host path. */
  source: string;
  /** Guest path. */
  path: string;
  readonly: boolean;
  /** Idmapped mount so guest root owns the files; only where the host kernel/filesystem supports it. */
  shift?: boolean;
}

export interface InstanceSpec {
  image: string;
  name: string;
  vm: boolean;
  config: Record<string, string>;
  devices: DiskDevice[];
  /** Devices other than disks, as Incus config keys (a lane's NIC, or `type: none` to hide a profile's). */
  otherDevices?: Record<string, Record<string, string>>;
  /** Storage pool of the root disk (`--storage`); absent: the profile's. */
  storage?: string;
  /** Cluster member to create it on (`--target`); absent: Incus places it. See cluster.ts. */
  target?: string;
}

export const DEVICE_NAME_MAX = 20;
const DEVICE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const INSTANCE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,62}$/;

export function assertDeviceName(name: string): void {
  if (name.length > DEVICE_NAME_MAX || !DEVICE_NAME_PATTERN.test(name)) {
    throw new Error(`incus device name '${name}' must be 1-${DEVICE_NAME_MAX} characters of [A-Za-z0-9._-]`);
  }
}

export function assertInstanceName(name: string): void {
  if (!INSTANCE_NAME_PATTERN.test(name) || name.endsWith("-")) {
    throw new Error(`incus instance name '${name}' is not a valid host name label`);
  }
}

function projectFlag(scope: IncusScope): string[] {
  return scope.project ? ["--project", scope.project] : [];
}

/** The disk device as Incus config keys. VMs share host dirs over virtiofs; containers bind-mount. */
export function diskDeviceConfig(device: DiskDevice, vm: boolean): Record<string, string> {
  assertDeviceName(device.name);
  const config: Record<string, string> = { type: "disk", source: device.source, path: device.path };
  if (device.readonly) config.readonly = "true";
  if (device.shift) config.shift = "true";
  if (vm) config["io.bus"] = "virtiofs";
  return config;
}

/**
 * `incus init|launch IMAGE NAME` with the instance's config and devices as YAML on stdin: one command
 * creates the instance with every disk device (and `launch` also starts it), instead of one
 * `incus config device add` round trip per device. JSON is valid YAML, so we send JSON.
 */
export function createArgv(
  spec: InstanceSpec,
  scope: IncusScope,
  start: boolean,
): { argv: string[]; stdin: string } {
  assertInstanceName(spec.name);
  const devices: Record<string, Record<string, string>> = {};
  for (const device of spec.devices) {
    if (devices[device.name]) throw new Error(`duplicate incus device name '${device.name}'`);
    devices[device.name] = diskDeviceConfig(device, spec.vm);
  }
  for (const [name, device] of Object.entries(spec.otherDevices ?? {})) {
    if (devices[name]) throw new Error(`duplicate incus device name '${name}'`);
    devices[name] = device;
  }
  const argv = ["incus", start ? "launch" : "init", ...projectFlag(scope), spec.image, spec.name];
  if (spec.vm) argv.push("--vm");
  if (spec.storage) argv.push("--storage", spec.storage);
  if (spec.target) argv.push("--target", spec.target);
  return { argv, stdin: `${JSON.stringify({ config: spec.config, devices })}\n` };
}

export interface InstancePatch {
  config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
}

/** Device and config keys as the Incus API takes them, for a PATCH onto a running instance. */
export function instancePatch(
  devices: readonly DiskDevice[],
  config: Record<string, string>,
  vm: boolean,
): InstancePatch {
  const out: Record<string, Record<string, string>> = {};
  for (const device of devices) {
    if (out[device.name]) throw new Error(`duplicate incus device name '${device.name}'`);
    out[device.name] = diskDeviceConfig(device, vm);
  }
  return { config, devices: out };
}

/**
 * `incus config device add NAME DEVICE none`: the CLI reads the instance with its ETag, refuses a
 * device that exists, and writes back with If-Match, so of several concurrent adds exactly one wins
 * (the others get "The device already exists" or "ETag doesn't match"). The warm pool's claim.
 */
export function claimArgv(name: string, device: string, scope: IncusScope): string[] {
  assertInstanceName(name);
  assertDeviceName(device);
  return ["incus", "config", "device", "add", ...projectFlag(scope), name, device, "none"];
}

/** `incus query` of an API path (a PATCH with its JSON body), in the project when one is configured. */
export function queryArgv(path: string, scope: IncusScope, patch?: unknown): string[] {
  const sep = path.includes("?") ? "&" : "?";
  const full = scope.project ? `${path}${sep}project=${encodeURIComponent(scope.project)}` : path;
  return [
    "incus",
    "query",
    ...(patch === undefined ? [] : ["-X", "PATCH", "--data", JSON.stringify(patch)]),
    full,
  ];
}

export function addDiskArgv(name: string, device: DiskDevice, vm: boolean, scope: IncusScope): string[] {
  const config = diskDeviceConfig(device, vm);
  const pairs = Object.entries(config)
    .filter(([key]) => key !== "type")
    .map(([key, value]) => `${key}=${value}`);
  return ["incus", "config", "device", "add", ...projectFlag(scope), name, device.name, "disk", ...pairs];
}

export function startArgv(name: string, scope: IncusScope): string[] {
  return ["incus", "start", ...projectFlag(scope), name];
}

/**
 * `incus exec` with `--env K=V` pairs: incus splits each on the first `=` and sends the value in the
 * JSON exec request, so a value with quotes, newlines or `$()` arrives byte for byte — provided the
 * argv reaches incus intact, which is the transport's single quoting step.
 */
export function execArgv(
  name: string,
  argv: readonly string[],
  options: { env?: Record<string, string>; cwd?: string },
  scope: IncusScope,
): string[] {
  const env = Object.entries(options.env ?? {}).flatMap(([key, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`invalid environment variable name '${key}'`);
    return ["--env", `${key}=${value}`];
  });
  const cwd = options.cwd ? ["--cwd", options.cwd] : [];
  return ["incus", "exec", ...projectFlag(scope), "--disable-stdin", ...env, ...cwd, name, "--", ...argv];
}

export function deleteArgv(name: string, scope: IncusScope): string[] {
  return ["incus", "delete", ...projectFlag(scope), "--force", name];
}

export function listArgv(prefix: string, scope: IncusScope): string[] {
  return ["incus", "list", ...projectFlag(scope), "--format", "json", prefix];
}

export function imageInfoArgv(alias: string, scope: IncusScope): string[] {
  return ["incus", "image", "info", ...projectFlag(scope), alias];
}
