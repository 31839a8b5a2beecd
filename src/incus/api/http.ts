import { randomBytes } from "node:crypto";
import http from "node:http";
import type { Duplex } from "node:stream";

/** A stream to the Incus daemon's unix socket: forwarded over ssh, or connected directly. */
export type OpenSocket = () => Promise<Duplex>;

export interface RawResponse {
  status: number;
  etag: string | null;
  text: string;
}

/**
 * One HTTP/1.1 request on its own stream (node's parser, so chunked bodies just work); the stream is
 * closed afterwards. Incus answers every request on the unix socket as the socket's user.
 */
export async function httpRequest(
  open: OpenSocket,
  request: {
    method: string;
    path: string;
    body?: unknown;
    headers?: Record<string, string>;
    timeoutMs: number;
  },
): Promise<RawResponse> {
  const stream = await open();
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        createConnection: () => stream as never,
        method: request.method,
        path: request.path,
        headers: {
          Host: "incus",
          Connection: "close",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...request.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          stream.destroy();
          const etag = res.headers.etag;
          resolve({
            status: res.statusCode ?? 0,
            etag: typeof etag === "string" ? etag.replace(/^"|"$/g, "") : null,
            text: Buffer.concat(chunks).toString("utf8"),
          });
        });
        res.on("error", reject);
      },
    );
    // Our own timer: the stream is no net.Socket, so the request's setTimeout cannot arm one.
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );
    req.on("close", () => clearTimeout(timer));
    req.on("error", (error) => {
      stream.destroy();
      reject(error);
    });
    req.end(body);
  });
}

/** The websocket handshake on a fresh stream; resolves with the upgraded stream and any bytes read past it. */
export async function httpUpgrade(
  open: OpenSocket,
  path: string,
  timeoutMs: number,
): Promise<{ stream: Duplex; head: Buffer }> {
  const stream = await open();
  return new Promise((resolve, reject) => {
    const req = http.request({
      createConnection: () => stream as never,
      method: "GET",
      path,
      headers: {
        Host: "incus",
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
      },
    });
    const timer = setTimeout(() => req.destroy(new Error(`no websocket within ${timeoutMs} ms`)), timeoutMs);
    req.on("upgrade", (_res, socket: Duplex, head: Buffer) => {
      clearTimeout(timer);
      resolve({ stream: socket, head });
    });
    req.on("response", (res) => {
      clearTimeout(timer);
      stream.destroy();
      reject(new Error(`websocket refused with HTTP ${res.statusCode}`));
    });
    req.on("error", (error) => {
      clearTimeout(timer);
      stream.destroy();
      reject(error);
    });
    req.end();
  });
}
