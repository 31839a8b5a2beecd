import type { Duplex, Readable } from "node:stream";

/**
 * The one choke point for running commands on a build host. Commands are argv arrays;
 * quoting happens in exactly one place (the SSH implementation), never at call sites.
 * Two implementations: `LocalhostTransport` (this machine, no SSH: `--host localhost` and tests) and
 * the ssh2 one in src/ssh/.
 */
export interface ExecOptions {
  /** Bytes to write to the command's stdin, then EOF. */
  stdin?: Buffer | string | Readable;
  /** Kill the command (and fail with an InfrastructureError) after this long. */
  timeoutMs?: number;
  /** Streaming callbacks; stdout/stderr are still collected unless `collect: false`. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Set false for commands with large output that is consumed through the callbacks. */
  collect?: boolean;
  signal?: AbortSignal;
}

export interface ExecResult {
  /** Exit code; null when the command was killed by a signal. */
  code: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
}

export interface Transport {
  /** `localhost` or `ssh://user@host:port` — never contains credentials; safe to log and record. */
  readonly description: string;
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * A byte stream to a unix socket on the host (ssh: a `direct-streamlocal` channel, as
   * `ssh -L local:/remote.sock` opens); the Incus client speaks the daemon's API over it. Rejects
   * when the host refuses (sshd `AllowStreamLocalForwarding no`); callers fall back to commands.
   */
  openSocket?(path: string): Promise<Duplex>;
  /**
   * File operations without a command per call (ssh: one SFTP session kept open; local: fs). Rejects
   * when the host offers none (no sftp subsystem); callers then run a shell command instead.
   */
  files?(): Promise<HostFiles>;
  close(): Promise<void>;
}

/** The few file operations a job's directories need, each one request. */
export interface HostFiles {
  /** `mkdir -p`, then `chmod mode` on the last one when a mode is given. */
  mkdir(path: string, mode?: number): Promise<void>;
  /** `rm -f`: a missing file is fine. */
  remove(path: string): Promise<void>;
  /** `touch`: create if missing, else set the modification time to now. */
  touch(path: string): Promise<void>;
  /** A small text file's content; null when it does not exist. */
  read(path: string): Promise<string | null>;
}
