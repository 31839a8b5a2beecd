import type { Duplex } from "node:stream";
import { httpRequest, httpUpgrade, type OpenSocket } from "./http.js";

/** Where `incus` itself finds the daemon unless INCUS_SOCKET/INCUS_DIR say otherwise. */
export const DEFAULT_INCUS_SOCKET = "/var/lib/incus/unix.socket";

export interface ApiResult {
  status: number;
  etag: string | null;
  /** The envelope's `metadata` (for an operation: the operation, whose own `metadata` holds results). */
  metadata: unknown;
  /** An async answer's operation path, e.g. `/1.0/operations/<id>`. */
  operation: string | null;
}

/** An error answer of the daemon (its `error`), with the HTTP status: 404 gone, 412 ETag mismatch. */
export class IncusApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "IncusApiError";
  }
}

/** The Incus REST API over a stream to its unix socket: one request per stream, no CLI process. */
export interface IncusApi {
  call(
    method: string,
    path: string,
    options?: { body?: unknown; ifMatch?: string; timeoutMs?: number },
  ): Promise<ApiResult>;
  /** `GET <operation>/wait`: the finished operation (its `metadata`), or an IncusApiError if it failed. */
  wait(operation: string, timeoutSecs: number): Promise<ApiResult>;
  upgrade(path: string): Promise<{ stream: Duplex; head: Buffer }>;
}

export function createIncusApi(params: { open: OpenSocket; project?: string }): IncusApi {
  const scoped = (path: string) => {
    if (!params.project) return path;
    const sep = path.includes("?") ? "&" : "?";
    return `${path}${sep}project=${encodeURIComponent(params.project)}`;
  };
  const call: IncusApi["call"] = async (method, path, options = {}) => {
    const raw = await httpRequest(params.open, {
      method,
      path: scoped(path),
      body: options.body,
      headers: options.ifMatch === undefined ? {} : { "If-Match": `"${options.ifMatch}"` },
      timeoutMs: options.timeoutMs ?? 60_000,
    });
    return parseEnvelope(raw.status, raw.etag, raw.text, `${method} ${path}`);
  };
  return {
    call,
    async wait(operation, timeoutSecs) {
      const result = await call("GET", `${operation}/wait?timeout=${timeoutSecs}`, {
        timeoutMs: (timeoutSecs + 30) * 1000,
      });
      const op = result.metadata as { status_code?: number; err?: string } | null;
      if (op?.status_code !== undefined && op.status_code >= 400) {
        throw new IncusApiError(op.err || `operation ${operation} failed`, op.status_code);
      }
      return result;
    },
    upgrade: (path) => httpUpgrade(params.open, path, 30_000),
  };
}

function parseEnvelope(status: number, etag: string | null, text: string, what: string): ApiResult {
  let envelope: {
    type?: string;
    error?: string;
    error_code?: number;
    metadata?: unknown;
    operation?: string;
  };
  try {
    envelope = JSON.parse(text);
  } catch {
    throw new IncusApiError(`${what}: HTTP ${status} with a body that is not JSON`, status);
  }
  if (envelope.type === "error" || status >= 400) {
    throw new IncusApiError(envelope.error || `${what}: HTTP ${status}`, envelope.error_code ?? status);
  }
  return { status, etag, metadata: envelope.metadata ?? null, operation: envelope.operation || null };
}
