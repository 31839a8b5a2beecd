import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inflateRawSync } from "node:zlib";

/**
 * A local stand-in for the Actions artifact results service as `@actions/artifact` v6 talks to it:
 * Twirp JSON `CreateArtifact`/`FinalizeArtifact` under /twirp/github.actions.results.api.v1.ArtifactService/,
 * and an Azure-blob-style signed upload URL (PUT `?comp=block&blockid=…` per block, then
 * `?comp=blocklist`; or a single PUT). Uploaded artifacts are kept so tests can unzip them.
 */
export interface StoredArtifact {
  name: string;
  createRequest: Record<string, unknown>;
  finalizeRequest?: Record<string, unknown>;
  zip: Buffer;
}

export interface ArtifactStandIn {
  url: string;
  /** ACTIONS_RUNTIME_TOKEN: an unsigned JWT whose `scp` carries the backend ids the client reads. */
  runtimeToken: string;
  artifacts: Map<string, StoredArtifact>;
  /** Every request body as text, for secret scans. */
  bodies: string[];
  close(): Promise<void>;
}

const SERVICE = "/twirp/github.actions.results.api.v1.ArtifactService/";

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export async function startArtifactStandIn(options: { failCreate?: boolean } = {}): Promise<ArtifactStandIn> {
  const runBackendId = "11111111-2222-3333-4444-555555555555";
  const jobBackendId = "66666666-7777-8888-9999-000000000000";
  const runtimeToken = `${b64url({ alg: "none", typ: "JWT" })}.${b64url({
    scp: `Actions.ExampleScope Actions.Results:${runBackendId}:${jobBackendId}`,
  })}.sig`;
  const artifacts = new Map<string, StoredArtifact>();
  const blocks = new Map<string, Buffer>();
  const bodies: string[] = [];
  let base = "";
  let nextArtifactId = 1;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      bodies.push(body.toString("latin1"));
      const url = new URL(req.url ?? "/", base);
      const json = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      if (req.method === "POST" && url.pathname.startsWith(SERVICE)) {
        if (req.headers.authorization !== `Bearer ${runtimeToken}`) return json(401, { msg: "bad token" });
        const request = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
        const method = url.pathname.slice(SERVICE.length);
        const name = String(request.name);
        if (method === "CreateArtifact") {
          if (options.failCreate) return json(400, { code: "invalid_argument", msg: "injected failure" });
          artifacts.set(name, { name, createRequest: request, zip: Buffer.alloc(0) });
          return json(200, {
            ok: true,
            signed_upload_url: `${base}/devstoreaccount1/actions-results/${encodeURIComponent(name)}.zip?sig=standin`,
          });
        }
        if (method === "FinalizeArtifact") {
          const artifact = artifacts.get(name);
          if (!artifact) return json(404, { msg: "unknown artifact" });
          artifact.finalizeRequest = request;
          return json(200, { ok: true, artifact_id: String(nextArtifactId++) });
        }
        return json(404, { msg: `unknown method ${method}` });
      }
      if (req.method === "PUT" && url.pathname.startsWith("/devstoreaccount1/actions-results/")) {
        const name = decodeURIComponent(
          url.pathname
            .split("/")
            .pop()!
            .replace(/\.zip$/, ""),
        );
        const artifact = artifacts.get(name);
        if (!artifact || url.searchParams.get("sig") !== "standin") {
          res.writeHead(403);
          return res.end();
        }
        const comp = url.searchParams.get("comp");
        if (comp === "block") {
          blocks.set(`${name}\0${url.searchParams.get("blockid")}`, body);
        } else if (comp === "blocklist") {
          const ids = [
            ...body.toString("utf8").matchAll(/<(?:Latest|Committed|Uncommitted)>([^<]+)<\//g),
          ].map((m) => m[1]!);
          artifact.zip = Buffer.concat(ids.map((id) => blocks.get(`${name}\0${id}`) ?? Buffer.alloc(0)));
        } else {
          artifact.zip = body;
        }
        res.writeHead(201, { "x-ms-request-id": "standin", "x-ms-version": "2025-01-05" });
        return res.end();
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    runtimeToken,
    artifacts,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The files of a zip archive (stored or deflated entries, as the artifact client writes them). */
export function readZip(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error("not a zip archive");
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error("bad central directory");
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const local = zip.readUInt32LE(offset + 42);
    const name = zip.toString("utf8", offset + 46, offset + 46 + nameLength);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    if (!name.endsWith("/")) files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}
