import { createHash, createHmac } from "node:crypto";

/**
 * Host-key pinning: a known_hosts text (one or more lines) or a `SHA256:` fingerprint.
 * Pure functions over the raw key blob that ssh2 hands to `hostVerifier` — the same bytes that are
 * base64-encoded in a known_hosts line and hashed into an OpenSSH fingerprint.
 */
export interface HostKeyPin {
  /** Key blobs pinned for this host (from known_hosts lines that match it). */
  keys: Buffer[];
  /** Key types of those blobs, so the client can ask the server for a pinned type first. */
  keyTypes: string[];
  fingerprints: string[];
}

export interface KnownHostsEntry {
  patterns: string;
  keyType: string;
  key: Buffer;
  marker: "@revoked" | "@cert-authority" | null;
}

/** `SHA256:<base64 without padding>` — what `ssh-keygen -lf` and `ssh-keyscan | ssh-keygen -lf -` print. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type is the first length-prefixed string inside the blob. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return "unknown";
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString("latin1");
}

export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostsEntry["marker"] = null;
    if (fields[0] === "@revoked" || fields[0] === "@cert-authority") {
      marker = fields[0];
      fields.shift();
    }
    const [patterns, keyType, base64] = fields;
    if (!patterns || !keyType || !base64) continue;
    if (!/^(ssh-|ecdsa-|sk-)/.test(keyType) || !/^[A-Za-z0-9+/]{16,}=*$/.test(base64)) continue;
    entries.push({ patterns, keyType, key: Buffer.from(base64, "base64"), marker });
  }
  return entries;
}

/** How OpenSSH names a host in known_hosts: bare for port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function patternsMatch(patterns: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (patterns.startsWith("|1|")) return hashedMatches(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(",")) {
    const negated = pattern.startsWith("!");
    const body = negated ? pattern.slice(1) : pattern;
    if (globMatch(body, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split("|");
  if (!salt || !hash) return false;
  const digest = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
  return digest === hash;
}

function globMatch(pattern: string, name: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, "i").test(name);
}

/** Collect the pins that apply to host:port from known_hosts text and/or fingerprints. */
export function pinFor(params: {
  host: string;
  port: number;
  knownHosts?: string;
  fingerprint?: string;
}): HostKeyPin {
  const entries = parseKnownHosts(params.knownHosts ?? "").filter(
    (entry) => entry.marker === null && patternsMatch(entry.patterns, params.host, params.port),
  );
  const fingerprints = (params.fingerprint ?? "")
    .split(/[\s,]+/)
    .filter((value) => value !== "")
    .map((value) => (value.startsWith("SHA256:") ? value : `SHA256:${value}`).replace(/=+$/, ""));
  return {
    keys: entries.map((entry) => entry.key),
    keyTypes: [...new Set(entries.map((entry) => entry.keyType))],
    fingerprints,
  };
}

export function isPinned(pin: HostKeyPin): boolean {
  return pin.keys.length > 0 || pin.fingerprints.length > 0;
}

export function keyMatchesPin(keyBlob: Buffer, pin: HostKeyPin): boolean {
  if (pin.keys.some((key) => key.equals(keyBlob))) return true;
  return pin.fingerprints.includes(fingerprintOf(keyBlob));
}

/** ssh2 host-key algorithm names for a known_hosts key type (RSA keys sign with SHA-2 variants). */
export function hostKeyAlgorithmsFor(keyTypes: readonly string[]): string[] {
  return keyTypes
    .flatMap((type) => (type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type]))
    .filter((algorithm) => SUPPORTED_HOST_KEY_ALGORITHMS.has(algorithm));
}

const SUPPORTED_HOST_KEY_ALGORITHMS = new Set([
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
]);
