import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The blob storage host an artifact download redirects to: another origin (127.0.0.2, its own
 * port) serving signed URLs. Like Azure blob storage, it refuses a request carrying an
 * Authorization header it did not issue (400 InvalidAuthenticationInfo) — the header a client
 * must drop on a cross-origin redirect. Refusals are recorded.
 */
export interface Storage {
  url: string;
  /** A signed, short-lived URL for `data`. */
  sign(data: Buffer, name: string): string;
  refused: { path: string; authorization: string }[];
  served: { path: string }[];
  close(): Promise<void>;
}

export async function startStorage(): Promise<Storage> {
  const blobs = new Map<string, { data: Buffer; name: string }>();
  const refused: Storage["refused"] = [];
  const served: Storage["served"] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://storage");
    if (req.headers.authorization) {
      refused.push({ path: url.pathname, authorization: req.headers.authorization });
      res.writeHead(400, {
        "content-type": "application/xml",
        "x-ms-error-code": "InvalidAuthenticationInfo",
      });
      return res.end(
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidAuthenticationInfo</Code><Message>Authentication information is not given in the correct format.</Message></Error>',
      );
    }
    const blob = blobs.get(`${url.pathname}?${url.searchParams.get("sig")}`);
    if (req.method !== "GET" || !blob) {
      res.writeHead(403, { "content-type": "application/xml" });
      return res.end("<Error><Code>AuthenticationFailed</Code></Error>");
    }
    served.push({ path: url.pathname });
    res.writeHead(200, {
      "content-type": "application/zip",
      "content-length": blob.data.length,
      "content-disposition": `attachment; filename=${blob.name}.zip`,
    });
    res.end(blob.data);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.2", resolve));
  const base = `http://127.0.0.2:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    refused,
    served,
    sign(data, name) {
      const blobPath = `/actions-results/${randomBytes(8).toString("hex")}/${encodeURIComponent(name)}.zip`;
      const sig = randomBytes(16).toString("hex");
      blobs.set(`${blobPath}?${sig}`, { data, name });
      return `${base}${blobPath}?sv=2025-01-05&se=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&sig=${sig}`;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
