import type { DiskDevice } from "../../incus/argv.js";
import type { ExecuteSpec } from "../../schema/index.js";
import { deviceName } from "./names.js";
import { assertGuestPath, cacheDir, remoteMountSource } from "./paths.js";

export const GUEST_SNAPSHOT = "/workspace/snapshot";
export const GUEST_ARTIFACTS = "/artifacts";

/**
 * The disk devices of one job's instance: the snapshot read-only, payload mounts read-only (sources
 * resolved inside the synced snapshot), caches and the run-scoped artifacts dir read-write.
 */
export function jobDevices(params: {
  spec: Pick<ExecuteSpec, "caches" | "mounts">;
  remoteWorkDir: string;
  snapshotPath: string;
  artifactsPath: string;
  shift: boolean;
  /** A keyed cache's host directory is the job's working copy, not the shared one. */
  cacheSource?: (name: string) => string | undefined;
}): DiskDevice[] {
  const { spec, shift } = params;
  const devices: DiskDevice[] = [
    {
      name: deviceName("snap", GUEST_SNAPSHOT),
      source: params.snapshotPath,
      path: GUEST_SNAPSHOT,
      readonly: true,
    },
    {
      name: deviceName("art", GUEST_ARTIFACTS),
      source: params.artifactsPath,
      path: GUEST_ARTIFACTS,
      readonly: false,
      shift,
    },
  ];
  for (const cache of spec.caches) {
    devices.push({
      name: deviceName("cache", cache.name),
      source: params.cacheSource?.(cache.name) ?? cacheDir(params.remoteWorkDir, cache.name),
      path: assertGuestPath(cache.path),
      readonly: false,
      shift,
    });
  }
  for (const mount of spec.mounts) {
    devices.push({
      name: deviceName("mnt", `${mount.source}\0${mount.path}`),
      source: remoteMountSource(params.snapshotPath, mount.source),
      path: assertGuestPath(mount.path),
      readonly: true,
    });
  }
  const paths = new Set<string>();
  for (const device of devices) {
    if (paths.has(device.path)) throw new Error(`two mounts target the same guest path ${device.path}`);
    paths.add(device.path);
  }
  return devices;
}

/** Host directories the guest writes to: created world-writable, since the guest's uids are mapped. */
export function writableDirs(devices: readonly DiskDevice[]): string[] {
  return devices.filter((device) => !device.readonly).map((device) => device.source);
}
