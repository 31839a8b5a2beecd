import type { Duplex } from "node:stream";
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";
import { InfrastructureError, UsageError } from "../errors/index.js";
import { parseHostUrl } from "../transport/host-url.js";
import type { ExecOptions, ExecResult, HostFiles, Transport } from "../transport/transport.js";
import { execOnChannel } from "./channel-exec.js";
import {
  type ConnectTarget,
  classifyConnectError,
  hostKeyMismatchError,
  hostKeyNotPinnedError,
} from "./connect-errors.js";
import {
  fingerprintOf,
  hostKeyAlgorithmsFor,
  isPinned,
  keyMatchesPin,
  keyTypeOf,
  pinFor,
} from "./host-key.js";
import { shellJoin } from "./quote.js";
import { Semaphore } from "./semaphore.js";
import { sftpFiles } from "./sftp-files.js";

export interface SshConnectParams {
  /** `ssh://user@host:port` */
  url: string;
  privateKey: Buffer | string;
  passphrase?: string;
  /** known_hosts line(s) or file content. */
  knownHosts?: string;
  /** `SHA256:…` fingerprint(s), space or comma separated. */
  fingerprint?: string;
  /** Trust whatever key the host presents. Explicit opt-in only. */
  acceptUnknownHostKey?: boolean;
  keepaliveIntervalMs?: number;
  connectTimeoutMs?: number;
  /**
   * Concurrent command channels on the one connection; OpenSSH allows 10 sessions by default, and
   * the SFTP session (`files`) takes one more, so the default 8 leaves room for it.
   */
  maxChannels?: number;
}

export interface SshTransport extends Transport {
  readonly target: ConnectTarget;
  /** The presented host key's fingerprint (for logs; it is public). */
  readonly hostKeyFingerprint: string;
}

/**
 * Connect once and reuse the connection for every command. If the connection drops, commands in
 * flight fail with an InfrastructureError and the next command reconnects (with the same pin).
 */
export async function connectSsh(params: SshConnectParams): Promise<SshTransport> {
  const parsed = parseHostUrl(params.url);
  if (parsed.kind !== "ssh") {
    throw new UsageError(`connectSsh needs an ssh:// URL, got '${params.url}'`, {
      hint: "use the local transport for `local`/`localhost`",
    });
  }
  const target: ConnectTarget = { user: parsed.user, host: parsed.host, port: parsed.port };
  const semaphore = new Semaphore(params.maxChannels ?? 8);
  const where = `${target.host}:${target.port}`;
  const connection = createReconnectingConnection({ open: () => openConnection(target, params), where });
  const first = await connection.get();

  return {
    description: parsed.description,
    target,
    hostKeyFingerprint: first.fingerprint,
    async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
      if (argv.length === 0) throw new Error("exec needs a non-empty argv");
      if (connection.isClosed()) throw new InfrastructureError(`ssh transport to ${where} is closed`);
      const release = await semaphore.acquire(options.signal);
      try {
        return await retryRefusedChannel(options.signal, async () =>
          execOnChannel({
            client: (await connection.get()).client,
            command: shellJoin(argv),
            label: `\`${argv[0]}\``,
            where,
            options,
            track: connection.track,
          }),
        );
      } finally {
        release();
      }
    },
    ...forwards(connection, where),
    close: () => connection.close(),
  };
}

/** The SFTP session of each connection (a reconnect opens a new one); a refusal is remembered too. */
const sftpSessions = new WeakMap<Client, Promise<HostFiles>>();

/** What the connection carries besides commands: forwarded unix sockets and the SFTP session. */
function forwards(
  connection: ReturnType<typeof createReconnectingConnection>,
  where: string,
): Pick<Transport, "openSocket" | "files"> {
  const client = async () => {
    if (connection.isClosed()) throw new InfrastructureError(`ssh transport to ${where} is closed`);
    return (await connection.get()).client;
  };
  return {
    async openSocket(path: string): Promise<Duplex> {
      const open = await client();
      const stream = await new Promise<Duplex>((resolve, reject) =>
        open.openssh_forwardOutStreamLocal(path, (error, opened) =>
          error ? reject(error) : resolve(opened),
        ),
      );
      // A dropped connection fails the stream with the transport's error (ssh2 may end its channels
      // first), so a user of the stream sees "connection lost", not a plain end. ssh2's channel
      // `destroy` takes no error, so the error is emitted first.
      const untrack = connection.track((error) => {
        if (stream.listenerCount("error") > 0) stream.emit("error", error);
        stream.destroy();
      });
      stream.once("close", untrack);
      return stream;
    },
    async files() {
      const open = await client();
      let files = sftpSessions.get(open);
      if (!files) {
        files = sftpFiles(open);
        sftpSessions.set(open, files);
      }
      return files;
    },
  };
}

interface OpenConnection {
  client: Client;
  fingerprint: string;
}

/**
 * The one shared connection. When it drops, every command in flight fails and the next `get()`
 * opens a new one (through `open`, so with the same pin).
 */
function createReconnectingConnection(params: { open: () => Promise<OpenConnection>; where: string }) {
  const inflight = new Set<(error: Error) => void>();
  let current: Promise<OpenConnection> | null = null;
  let closed = false;

  const connect = () => {
    const attempt = params.open().then(({ client, fingerprint }) => {
      const lost = (reason: string) => {
        if (current === attempt) current = null;
        const error = new InfrastructureError(
          `ssh connection to build host ${params.where} lost: ${reason}`,
          {
            hint: "the build host, its sshd or the network went away mid-command; check the host, then re-run",
          },
        );
        for (const fail of [...inflight]) fail(error);
      };
      client.on("error", (error: Error & { level?: string }) => lost(error.message));
      client.on("close", () => lost(closed ? "transport closed" : "connection closed"));
      // ssh2 emits `end` as the socket ends, before its channels end: a forwarded stream failed
      // here reports the loss instead of ending as if its peer had finished.
      client.on("end", () => lost(closed ? "transport closed" : "connection closed"));
      return { client, fingerprint };
    });
    current = attempt;
    attempt.catch(() => {
      if (current === attempt) current = null;
    });
    return attempt;
  };

  return {
    get: (): Promise<OpenConnection> => current ?? connect(),
    isClosed: () => closed,
    /** Registers a command's failure callback; returns its removal. */
    track: (fail: (error: Error) => void) => {
      inflight.add(fail);
      return () => inflight.delete(fail);
    },
    async close(): Promise<void> {
      closed = true;
      const open = await current?.catch(() => null);
      open?.client.end();
    },
  };
}

/**
 * sshd still counts sessions whose close is in flight against MaxSessions, so under many short
 * commands an open can be refused though our own count is below it. The command never started:
 * waiting a moment and opening again is safe.
 */
async function retryRefusedChannel<T>(signal: AbortSignal | undefined, open: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await open();
    } catch (error) {
      const cause = error instanceof Error ? (error.cause as Error | undefined) : undefined;
      const refused = /Channel open failure/i.test(cause?.message ?? "");
      if (attempt >= 5 || signal?.aborted || !refused) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
    }
  }
}

function openConnection(target: ConnectTarget, params: SshConnectParams): Promise<OpenConnection> {
  const pin = pinFor({ ...target, knownHosts: params.knownHosts, fingerprint: params.fingerprint });
  const pinned = isPinned(pin);
  let presented: string | null = null;
  let rejection: InfrastructureError | null = null;
  const hostVerifier = (key: Buffer): boolean => {
    presented = `${keyTypeOf(key)} ${fingerprintOf(key)}`;
    if (pinned ? keyMatchesPin(key, pin) : params.acceptUnknownHostKey === true) return true;
    rejection = pinned ? hostKeyMismatchError(target, presented) : hostKeyNotPinnedError(target, presented);
    return false;
  };
  const algorithms = hostKeyAlgorithmsFor(pin.keyTypes);
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    privateKey: params.privateKey,
    passphrase: params.passphrase,
    hostVerifier,
    keepaliveInterval: params.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: 3,
    readyTimeout: params.connectTimeoutMs ?? 10_000,
    // Ask for a pinned key type first, so a host with several keys presents the one we know.
    ...(algorithms.length > 0 && pin.fingerprints.length === 0
      ? { algorithms: { serverHostKey: algorithms as ServerHostKeyAlgorithm[] } }
      : {}),
  };
  return new Promise((resolve, reject) => {
    const client = new Client();
    const onError = (error: Error) => {
      client.removeListener("ready", onReady);
      // ssh2 may emit more errors while tearing down; they add nothing to the first one.
      client.on("error", () => {});
      client.end();
      reject(rejection ?? classifyConnectError(target, error));
    };
    const onReady = () => {
      client.removeListener("error", onError);
      // Small requests that wait for answers: Nagle would hold each until the peer's delayed ACK
      // (measured 100 ms per SFTP request with ssh2's JS ciphers, as in the bundle).
      client.setNoDelay(true);
      resolve({ client, fingerprint: presented ?? "unknown" });
    };
    client.once("error", onError);
    client.once("ready", onReady);
    try {
      client.connect(config);
    } catch (error) {
      // ssh2 throws synchronously for an unparsable key; its message names the format, never the key.
      client.removeAllListeners();
      const reason =
        error instanceof Error ? error.message.replace(/privateKey/g, "private key") : "unknown error";
      reject(
        new UsageError(`the ssh private key cannot be used: ${reason}`, {
          hint: "pass an OpenSSH or PEM private key with --ssh-key FILE or PIKACI_SSH_KEY; an encrypted key needs its passphrase",
        }),
      );
    }
  });
}
