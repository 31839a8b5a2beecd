import { describe, expect, it } from "vitest";
import { parseConfig, resolveLane } from "../../../src/config/index.js";
import { ConfigError } from "../../../src/errors/index.js";
import type { Verdict } from "../../../src/executor/incus/classify.js";
import { incusLimitsConfig } from "../../../src/limits/incus-config.js";
import { formatMemory } from "../../../src/limits/memory.js";
import { parseOomKills, withOutOfMemory } from "../../../src/limits/oom.js";
import { oomCounterPaths } from "../../../src/limits/oom-probe.js";

const config = (yaml: string) => parseConfig(`version: 1\n${yaml}`, "pikaci.yml");

describe("lane limits: config → plan", () => {
  it("merges a lane's limits over defaults field by field, memory in bytes", () => {
    const parsed = config(
      "defaults: {limits: {cpu: 2, memory: 1GiB}}\nlanes:\n  - {id: a, command: x, limits: {memory: 512MiB, processes: 100}}\n  - {id: b, command: x}\n",
    );
    expect(resolveLane(parsed, "a").execute.limits).toEqual({
      cpu: 2,
      memory_bytes: 512 * 1024 ** 2,
      processes: 100,
    });
    expect(resolveLane(parsed, "b").execute.limits).toEqual({ cpu: 2, memory_bytes: 1024 ** 3 });
  });

  it("leaves the plan without limits when none are set", () => {
    expect("limits" in resolveLane(config("lanes: [{id: a, command: x}]\n"), "a").execute).toBe(false);
  });

  it("rejects a misspelt key, a tiny memory cap and a fractional cpu count", () => {
    for (const limits of ["{memroy: 1GiB}", "{memory: 1KiB}", "{cpu: 1.5}", "{processes: 0}"]) {
      expect(() => config(`lanes: [{id: a, command: x, limits: ${limits}}]\n`)).toThrow(ConfigError);
    }
  });
});

describe("incusLimitsConfig", () => {
  it("maps each limit to its Incus key", () => {
    expect(incusLimitsConfig({ cpu: 2, memory_bytes: 512 * 1024 ** 2, processes: 64 })).toEqual({
      "limits.cpu": "2",
      "limits.memory": "512MiB",
      "limits.processes": "64",
    });
  });
  it("sets nothing for absent limits", () => {
    expect(incusLimitsConfig(undefined)).toEqual({});
    expect(incusLimitsConfig({ processes: 10 })).toEqual({ "limits.processes": "10" });
  });
});

describe("formatMemory", () => {
  it("uses the largest whole binary unit, else bytes", () => {
    expect(formatMemory(2 * 1024 ** 3)).toBe("2GiB");
    expect(formatMemory(1536 * 1024 ** 2)).toBe("1536MiB");
    expect(formatMemory(1000 ** 3)).toBe("1000000000");
  });
});

describe("OOM detection", () => {
  it("reads oom_kill from cgroup v2 memory.events and v1 memory.oom_control", () => {
    expect(parseOomKills("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n")).toBe(1);
    expect(parseOomKills("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")).toBe(3);
    expect(parseOomKills("oom_kill_disable 0\nunder_oom 0\n")).toBeNull();
  });

  it("names the project's cgroup outside the default project", () => {
    expect(oomCounterPaths("i", "ci")[0]).toBe("/sys/fs/cgroup/lxc.payload.ci_i/memory.events");
    expect(oomCounterPaths("i", "default")[0]).toBe("/sys/fs/cgroup/lxc.payload.i/memory.events");
  });

  const exit137: Verdict = {
    status: "failed",
    failure_kind: "test_failure",
    exit_code: 137,
    message: "exit 137",
  };
  it("turns a failure with an OOM kill into `out of memory (limit …)`", () => {
    const memoryBytes = 512 * 1024 ** 2;
    expect(withOutOfMemory(exit137, { oomKills: 1, memoryBytes })).toEqual({
      status: "failed",
      failure_kind: "test_failure",
      exit_code: 137,
      message: "out of memory (limit 512MiB)",
    });
    const noResult: Verdict = {
      status: "failed",
      failure_kind: "infrastructure",
      exit_code: null,
      message: "x",
    };
    expect(withOutOfMemory(noResult, { oomKills: 2, memoryBytes }).message).toBe(
      "out of memory (limit 512MiB)",
    );
  });

  it("keeps the verdict without a kill, for a pass, a timeout or a cancel", () => {
    const memoryBytes = 1024 ** 3;
    expect(withOutOfMemory(exit137, { oomKills: 0, memoryBytes })).toBe(exit137);
    expect(withOutOfMemory(exit137, { oomKills: null, memoryBytes })).toBe(exit137);
    const timeout: Verdict = { status: "failed", failure_kind: "timeout", exit_code: null, message: "t" };
    expect(withOutOfMemory(timeout, { oomKills: 1, memoryBytes })).toBe(timeout);
    const passed: Verdict = { status: "passed", failure_kind: null, exit_code: 0, message: null };
    expect(withOutOfMemory(passed, { oomKills: 1, memoryBytes })).toBe(passed);
  });
});
