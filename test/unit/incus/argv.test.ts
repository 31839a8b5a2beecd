import { describe, expect, it } from "vitest";
import {
  addDiskArgv,
  createArgv,
  deleteArgv,
  diskDeviceConfig,
  execArgv,
  listArgv,
} from "../../../src/incus/argv.js";

const snapshot = {
  name: "pk-snap-1234abcd",
  source: "/var/tmp/pikaci/snapshots/h/tree",
  path: "/workspace/snapshot",
  readonly: true,
};
const artifacts = {
  name: "pk-art-1234abcd",
  source: "/var/tmp/pikaci/runs/r/jobs/j/artifacts",
  path: "/artifacts",
  readonly: false,
};

describe("incus argv builders", () => {
  it("creates and starts an instance with every device in one command, config on stdin", () => {
    const { argv, stdin } = createArgv(
      {
        image: "pikaci-test",
        name: "pikaci-0123456789ab",
        vm: false,
        config: { "user.pikaci.run_id": "r1" },
        devices: [snapshot, artifacts],
      },
      {},
      true,
    );
    expect(argv).toEqual(["incus", "launch", "pikaci-test", "pikaci-0123456789ab"]);
    expect(JSON.parse(stdin)).toEqual({
      config: { "user.pikaci.run_id": "r1" },
      devices: {
        "pk-snap-1234abcd": {
          type: "disk",
          source: snapshot.source,
          path: "/workspace/snapshot",
          readonly: "true",
        },
        "pk-art-1234abcd": { type: "disk", source: artifacts.source, path: "/artifacts" },
      },
    });
  });

  it("adds --project only when one is configured, and --vm plus virtiofs for VMs", () => {
    const { argv, stdin } = createArgv(
      { image: "img", name: "pikaci-vm", vm: true, config: {}, devices: [snapshot] },
      { project: "ci" },
      false,
    );
    expect(argv).toEqual(["incus", "init", "--project", "ci", "img", "pikaci-vm", "--vm"]);
    expect(JSON.parse(stdin).devices["pk-snap-1234abcd"]["io.bus"]).toBe("virtiofs");
    expect(deleteArgv("pikaci-vm", {})).toEqual(["incus", "delete", "--force", "pikaci-vm"]);
    expect(listArgv("pikaci-", { project: "ci" })).toEqual([
      "incus",
      "list",
      "--project",
      "ci",
      "--format",
      "json",
      "pikaci-",
    ]);
  });

  it("builds `config device add` with key=value pairs", () => {
    expect(addDiskArgv("pikaci-x", { ...artifacts, shift: true }, false, {})).toEqual([
      "incus",
      "config",
      "device",
      "add",
      "pikaci-x",
      "pk-art-1234abcd",
      "disk",
      `source=${artifacts.source}`,
      "path=/artifacts",
      "shift=true",
    ]);
  });

  it("enforces the 20-character device-name limit and rejects duplicates", () => {
    expect(() => diskDeviceConfig({ ...snapshot, name: "a-device-name-of-21ch" }, false)).toThrow(
      /1-20 characters/,
    );
    expect(() => diskDeviceConfig({ ...snapshot, name: "x".repeat(20) }, false)).not.toThrow();
    expect(() => diskDeviceConfig({ ...snapshot, name: "bad/name" }, false)).toThrow(/1-20 characters/);
    expect(() =>
      createArgv(
        {
          image: "i",
          name: "pikaci-a",
          vm: false,
          config: {},
          devices: [snapshot, { ...artifacts, name: snapshot.name }],
        },
        {},
        true,
      ),
    ).toThrow(/duplicate/);
    expect(() =>
      createArgv({ image: "i", name: "bad_name", vm: false, config: {}, devices: [] }, {}, true),
    ).toThrow(/not a valid/);
  });

  it("passes each env value as one `KEY=VALUE` argv element, however hostile", () => {
    const command = "echo 'a' \"b\" $(id) `x`\nline2 ü";
    const argv = execArgv(
      "pikaci-x",
      ["/run/pikaci-incus-run"],
      { env: { PIKACI_INCUS_GUEST_COMMAND: command, A: "1=2" } },
      {},
    );
    expect(argv).toEqual([
      "incus",
      "exec",
      "--disable-stdin",
      "--env",
      `PIKACI_INCUS_GUEST_COMMAND=${command}`,
      "--env",
      "A=1=2",
      "pikaci-x",
      "--",
      "/run/pikaci-incus-run",
    ]);
    expect(() => execArgv("pikaci-x", ["true"], { env: { "BAD NAME": "x" } }, {})).toThrow(
      /invalid environment variable/,
    );
  });
});
