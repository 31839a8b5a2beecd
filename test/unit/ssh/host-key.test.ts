import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fingerprintOf,
  hostKeyAlgorithmsFor,
  isPinned,
  keyMatchesPin,
  keyTypeOf,
  parseKnownHosts,
  pinFor,
} from "../../../src/ssh/host-key.js";

// Real keys and real OpenSSH tooling as the oracle: ssh-keygen computes fingerprints and hashes names.
let dir: string;
let edLine: string;
let rsaLine: string;
const blobOf = (line: string) => Buffer.from(line.trim().split(/\s+/)[1]!, "base64");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pikaci-hostkey-"));
  for (const type of ["ed25519", "rsa"]) {
    execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", join(dir, type)]);
  }
  edLine = readFileSync(join(dir, "ed25519.pub"), "utf8");
  rsaLine = readFileSync(join(dir, "rsa.pub"), "utf8");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("host key pinning", () => {
  it("computes the same SHA256 fingerprint as ssh-keygen -l", () => {
    const expected = execFileSync("ssh-keygen", ["-lf", join(dir, "ed25519.pub")], {
      encoding: "utf8",
    }).split(" ")[1];
    expect(fingerprintOf(blobOf(edLine))).toBe(expected);
    expect(keyTypeOf(blobOf(edLine))).toBe("ssh-ed25519");
  });

  it("matches `[host]:port` entries only for that host and port", () => {
    const [, key] = edLine.split(" ");
    const knownHosts = `# comment\n[127.0.0.1]:2222 ssh-ed25519 ${key}\nother.example ssh-rsa ${rsaLine.split(" ")[1]}\n`;
    const pin = pinFor({ host: "127.0.0.1", port: 2222, knownHosts });
    expect(pin.keys).toHaveLength(1);
    expect(pin.keyTypes).toEqual(["ssh-ed25519"]);
    expect(keyMatchesPin(blobOf(edLine), pin)).toBe(true);
    expect(keyMatchesPin(blobOf(rsaLine), pin)).toBe(false);
    expect(isPinned(pinFor({ host: "127.0.0.1", port: 22, knownHosts }))).toBe(false);
    expect(isPinned(pinFor({ host: "other.example", port: 22, knownHosts }))).toBe(true);
  });

  it("matches hashed (|1|) entries as written by ssh-keygen -H", () => {
    const file = join(dir, "known_hosts");
    writeFileSync(file, `[build.example]:2200 ${edLine.split(" ").slice(0, 2).join(" ")}\n`);
    execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
    const hashed = readFileSync(file, "utf8");
    expect(hashed.startsWith("|1|")).toBe(true);
    expect(
      keyMatchesPin(blobOf(edLine), pinFor({ host: "build.example", port: 2200, knownHosts: hashed })),
    ).toBe(true);
    expect(isPinned(pinFor({ host: "build.example", port: 22, knownHosts: hashed }))).toBe(false);
  });

  it("pins by fingerprint, with or without the SHA256: prefix", () => {
    const fingerprint = fingerprintOf(blobOf(rsaLine));
    expect(keyMatchesPin(blobOf(rsaLine), pinFor({ host: "h", port: 22, fingerprint }))).toBe(true);
    expect(
      keyMatchesPin(blobOf(rsaLine), pinFor({ host: "h", port: 22, fingerprint: fingerprint.slice(7) })),
    ).toBe(true);
    expect(keyMatchesPin(blobOf(edLine), pinFor({ host: "h", port: 22, fingerprint }))).toBe(false);
  });

  it("ignores revoked/CA markers, comments and garbage lines, and honours negated patterns", () => {
    const key = edLine.split(" ")[1];
    const entries = parseKnownHosts(
      `@revoked * ssh-ed25519 ${key}\nnot a line\n\n*.example,!bad.example ssh-ed25519 ${key}\n`,
    );
    expect(entries.map((entry) => entry.marker)).toEqual(["@revoked", null]);
    expect(
      isPinned(pinFor({ host: "anything", port: 22, knownHosts: `@revoked * ssh-ed25519 ${key}\n` })),
    ).toBe(false);
    const text = `*.example,!bad.example ssh-ed25519 ${key}\n`;
    expect(isPinned(pinFor({ host: "good.example", port: 22, knownHosts: text }))).toBe(true);
    expect(isPinned(pinFor({ host: "bad.example", port: 22, knownHosts: text }))).toBe(false);
  });

  it("asks ssh2 for the pinned key types it supports", () => {
    expect(hostKeyAlgorithmsFor(["ssh-rsa", "ssh-ed25519", "sk-ssh-ed25519@openssh.com"])).toEqual([
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
      "ssh-ed25519",
    ]);
  });
});
