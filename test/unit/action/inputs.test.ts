import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { hostConnection } from "../../../src/action/credentials.js";
import { INPUT_HINTS, parseInputs } from "../../../src/action/inputs.js";
import { UsageError } from "../../../src/errors/index.js";

const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
const FINGERPRINT = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";

const from = (values: Record<string, string>) => (name: string) => values[name] ?? "";

function failure(values: Record<string, string>): UsageError {
  try {
    parseInputs(from(values));
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a UsageError");
}

describe("action inputs", () => {
  it("declares in action.yml exactly the inputs the schema reads", () => {
    const action = parse(readFileSync(new URL("../../../action.yml", import.meta.url), "utf8")) as {
      inputs: Record<string, unknown>;
      outputs: Record<string, unknown>;
      runs: Record<string, string>;
    };
    expect(Object.keys(action.inputs).sort()).toEqual(Object.keys(INPUT_HINTS).sort());
    expect(Object.keys(action.outputs).sort()).toEqual(["conclusion", "run-id", "run-json"]);
    expect(action.runs).toEqual({ using: "node24", main: "dist/index.js", post: "dist/post.js" });
  });

  it("parses a dispatched configuration", () => {
    const inputs = parseInputs(
      from({
        token: "ghs_x",
        "check-runs": '{"check-rust": 123, "check-js": "456"}',
        host: "ssh://ci@build.example:2222",
        "ssh-key": KEY,
        "ssh-known-hosts": FINGERPRINT,
        lanes: "check-rust,\ncheck-js",
        concurrency: "4",
        "retention-days": "7",
      }),
    );
    expect(inputs["check-runs"]).toEqual({ "check-rust": 123, "check-js": 456 });
    expect(inputs.lanes).toEqual(["check-rust", "check-js"]);
    expect(inputs.concurrency).toBe(4);
    expect(inputs["retention-days"]).toBe(7);
    expect(inputs.config).toBe(".github/pikaci.yml");
  });

  it("defaults to standalone mode on the runner", () => {
    const inputs = parseInputs(from({ token: "t" }));
    expect(inputs["check-runs"]).toBeUndefined();
    expect(inputs.host).toBeUndefined();
    expect(inputs.concurrency).toBe(2);
  });

  it("names the bad input and the fix, and never echoes a secret", () => {
    const host = failure({ token: "t", host: "build.example" });
    expect(host.message).toBe("Input 'host' must look like ssh://user@host:port.");
    expect(host.hint).toContain("ssh://user@host:port");

    const key = failure({
      token: "t",
      host: "ssh://a@b:22",
      "ssh-key": "not-a-key-but-secret",
      "ssh-known-hosts": FINGERPRINT,
    });
    expect(key.message).toBe("Input 'ssh-key' is not a PEM/OpenSSH private key.");
    expect(`${key.message}${key.hint}`).not.toContain("not-a-key-but-secret");

    expect(failure({ token: "t", host: "ssh://a@b:22", "ssh-key": KEY }).message).toContain(
      "'ssh-known-hosts' is required",
    );
    expect(failure({ token: "t", "check-runs": "{oops" }).message).toBe(
      "Input 'check-runs' is not valid JSON.",
    );
    expect(failure({ token: "t", "check-runs": '{"../x": 1}' }).message).toContain("Input 'check-runs'");
    expect(failure({ token: "t", concurrency: "0" }).message).toContain("Input 'concurrency'");
    expect(failure({ token: "t", "retention-days": "400" }).hint).toContain("between 1 and 90");
    expect(failure({ token: "t", "details-url": "javascript:alert(1)" }).message).toContain("'details-url'");
    expect(failure({}).message).toBe("Input 'token' is required.");
  });

  it("accepts known_hosts lines", () => {
    const line = "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyHostKeyHostKeyHostKeyHostKey";
    const inputs = parseInputs(
      from({ token: "t", host: "ssh://a@127.0.0.1:2222", "ssh-key": KEY, "ssh-known-hosts": line }),
    );
    expect(inputs["ssh-known-hosts"]).toBe(line);
  });

  it("reads several build hosts from `hosts`, one per line, with capacity, labels and project", () => {
    const inputs = parseInputs(
      from({
        token: "t",
        hosts: "ssh://ci@b1:22?capacity=4&labels=x86_64,big\n\n# spare\nssh://ci@b2:2222?project=ci",
        "ssh-key": KEY,
        "ssh-known-hosts": FINGERPRINT,
      }),
    );
    expect(inputs.hosts).toEqual([
      { url: "ssh://ci@b1:22", capacity: 4, labels: ["x86_64", "big"] },
      { url: "ssh://ci@b2:2222", labels: [], project: "ci" },
    ]);
    expect(hostConnection(inputs).hosts).toEqual(inputs.hosts);
    expect(
      hostConnection(
        parseInputs(
          from({ token: "t", host: "ssh://a@b:22", "ssh-key": KEY, "ssh-known-hosts": FINGERPRINT }),
        ),
      ).hosts,
    ).toEqual([{ url: "ssh://a@b:22", labels: [] }]);
  });

  it("refuses a bad `hosts` line naming it, `hosts` with `host`, and `hosts` without a key", () => {
    const bad = failure({
      token: "t",
      hosts: "ssh://ci@b1:22?cap=4",
      "ssh-key": KEY,
      "ssh-known-hosts": FINGERPRINT,
    });
    expect(bad.message).toContain("Input 'hosts' line 'ssh://ci@b1:22?cap=4'");
    expect(bad.message).toContain("unknown parameter 'cap'");
    expect(bad.hint).toContain("?capacity=N");
    const both = failure({
      token: "t",
      host: "ssh://a@b:22",
      hosts: "ssh://ci@b1:22",
      "ssh-key": KEY,
      "ssh-known-hosts": FINGERPRINT,
    });
    expect(both.message).toBe("Input 'hosts' cannot be set together with host.");
    expect(failure({ token: "t", hosts: "ssh://ci@b1:22" }).message).toContain("'ssh-key' is required");
  });
});
