import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hostsToVisit } from "../../../src/cli/commands/host-connection.js";
import { type CliIO, main } from "../../../src/cli/main.js";
import { UsageError } from "../../../src/errors/index.js";
import { type HostCheckReport, HostCheckReports, renderHostChecks } from "../../../src/host-check/index.js";

describe("hostsToVisit (gc and host check over several hosts)", () => {
  it("takes every --host, with its project and without its query", () => {
    const hosts = hostsToVisit("gc", {
      host: ["ssh://ci@10.0.0.5:22?project=ci&capacity=4", "localhost"],
    });
    expect(hosts).toEqual([
      { url: "ssh://ci@10.0.0.5:22", labels: [], capacity: 4, project: "ci" },
      { url: "localhost", labels: [] },
    ]);
  });

  it("falls back to the given hosts (the config's) only without --host", () => {
    const fallback = [{ url: "ssh://ci@b:22", labels: [] }];
    expect(hostsToVisit("host check", {}, fallback)).toEqual(fallback);
    expect(hostsToVisit("host check", { host: ["ssh://ci@a:22"] }, fallback).map((h) => h.url)).toEqual([
      "ssh://ci@a:22",
    ]);
  });

  it("without any host, names the flag to pass", () => {
    expect(() => hostsToVisit("gc", { host: [] })).toThrow(UsageError);
    expect(() => hostsToVisit("gc", {})).toThrow(/pikaci gc: --host is required/);
  });

  it("refuses a bad host URL before connecting anywhere", () => {
    expect(() => hostsToVisit("gc", { host: ["ssh://ci@a:22?cpus=4"] })).toThrow(/unknown parameter 'cpus'/);
  });
});

describe("renderHostChecks", () => {
  const report = (host: string, healthy: boolean): HostCheckReport =>
    ({
      schema_version: 1,
      healthy,
      facts: { host, project: null },
      findings: [],
    }) as unknown as HostCheckReport;

  it("prints each host's block, the unreachable one with its hint, then how many are healthy", () => {
    const text = renderHostChecks({
      schema_version: 1,
      healthy: false,
      hosts: [
        { url: "ssh://ci@a:22", report: report("ssh://ci@a:22", true), error: null },
        { url: "ssh://ci@b:22", report: null, error: "build host b:22 unreachable\n  hint: start sshd" },
      ],
    });
    expect(text).toBe(
      [
        "pikaci host check: ssh://ci@a:22",
        "healthy",
        "",
        "pikaci host check: ssh://ci@b:22",
        "  could not check this host: build host b:22 unreachable",
        "    hint: start sshd",
        "",
        "1 of 2 hosts healthy",
        "",
      ].join("\n"),
    );
  });

  it("the JSON document refuses a host with neither report nor error fields", () => {
    expect(
      HostCheckReports.safeParse({ schema_version: 1, healthy: true, hosts: [{ url: "x" }] }).success,
    ).toBe(false);
  });
});

describe("host check's config", () => {
  it("is not read when --host and --image name everything (a broken one in cwd does not stop the check)", async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), "pikaci-host-check-config-"));
    try {
      await mkdir(path.join(cwd, ".github"));
      await writeFile(path.join(cwd, ".github/pikaci.yml"), "version: 1\nlanes: nope\n");
      let stderr = "";
      const io: CliIO = {
        stdout: { write: () => true },
        stderr: {
          write: (text: string) => {
            stderr += text;
            return true;
          },
        },
        env: {},
        cwd,
        isTTY: false,
      };
      const args = ["host", "check", "--host", "ssh://ci@127.0.0.1:1", "--image", "pikaci-debian"];
      await main(args, io);
      // It got as far as the connection: there is no key for the host.
      expect(stderr).toContain("no ssh key for the build host");
      stderr = "";
      // Without --image the config names the images, so a broken one is reported.
      await main(args.slice(0, 4), io);
      expect(stderr).toContain("pikaci.yml");
      expect(stderr).not.toContain("no ssh key");
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
