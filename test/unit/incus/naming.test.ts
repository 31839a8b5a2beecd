import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import { jobDevices, writableDirs } from "../../../src/executor/incus/devices.js";
import { deviceName, instanceName } from "../../../src/executor/incus/names.js";
import { cacheDir, remoteJobLayout, remoteMountSource } from "../../../src/executor/incus/paths.js";

describe("instance and device names", () => {
  it("derives pikaci-<12 hex> from sha256(run_id:job_id)", () => {
    const expected = createHash("sha256")
      .update("20260324T162238Z-1a2b3c4d:check-docs")
      .digest("hex")
      .slice(0, 12);
    expect(instanceName("20260324T162238Z-1a2b3c4d", "check-docs")).toBe(`pikaci-${expected}`);
    expect(instanceName("20260324T162238Z-1a2b3c4d", "check-rust")).not.toBe(
      instanceName("20260324T162238Z-1a2b3c4d", "check-docs"),
    );
  });

  it("keeps device names within 20 characters and distinct per key", () => {
    const names = ["snap", "art", "cache", "mnt"].map((kind) =>
      deviceName(kind as "snap", "/some/very/long/guest/path/indeed"),
    );
    for (const name of names) expect(name.length).toBeLessThanOrEqual(20);
    expect(deviceName("cache", "cargo")).not.toBe(deviceName("cache", "npm"));
  });
});

describe("remote paths and devices", () => {
  const layout = remoteJobLayout("/var/tmp/pikaci", "20260324T162238Z-1a2b3c4d", "lint");

  it("puts artifacts under the run, so runs never share them", () => {
    expect(layout.artifacts).toBe("/var/tmp/pikaci/runs/20260324T162238Z-1a2b3c4d/jobs/lint/artifacts");
    expect(layout.heartbeat).toBe("/var/tmp/pikaci/runs/20260324T162238Z-1a2b3c4d/heartbeat");
  });

  it("re-roots mount sources under the snapshot and rejects escapes", () => {
    expect(remoteMountSource("/w/snapshots/h/tree", "deps/./vendor/")).toBe(
      "/w/snapshots/h/tree/deps/vendor",
    );
    for (const bad of ["../etc", "/etc", "a/../../b", "", "."]) {
      expect(() => remoteMountSource("/w/snapshots/h/tree", bad)).toThrow(UsageError);
    }
    expect(() => cacheDir("/w", "../x")).toThrow(UsageError);
  });

  it("mounts the snapshot read-only, caches and artifacts read-write, payloads read-only", () => {
    const devices = jobDevices({
      spec: {
        caches: [{ name: "cargo", path: "/home/pikaci/.cargo" }],
        mounts: [{ source: "vendor", path: "/staged/vendor" }],
      },
      remoteWorkDir: "/w",
      snapshotPath: "/w/snapshots/h/tree",
      artifactsPath: layout.artifacts,
      shift: false,
    });
    expect(devices.map((d) => [d.path, d.source, d.readonly])).toEqual([
      ["/workspace/snapshot", "/w/snapshots/h/tree", true],
      ["/artifacts", layout.artifacts, false],
      ["/home/pikaci/.cargo", "/w/cache/cargo", false],
      ["/staged/vendor", "/w/snapshots/h/tree/vendor", true],
    ]);
    expect(writableDirs(devices)).toEqual([layout.artifacts, "/w/cache/cargo"]);
    expect(() =>
      jobDevices({
        spec: { caches: [{ name: "c", path: "/artifacts" }], mounts: [] },
        remoteWorkDir: "/w",
        snapshotPath: "/s",
        artifactsPath: "/a",
        shift: false,
      }),
    ).toThrow(/same guest path/);
  });
});
