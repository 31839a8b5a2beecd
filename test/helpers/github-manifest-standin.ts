import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { documentedResponse, matchOperation, missingRequired, requestProblems } from "./github-openapi.js";

/**
 * A stand-in for GitHub's side of the App manifest flow: the web form that creates the App
 * (`POST /settings/apps/new` or `/organizations/:org/settings/apps/new`, a form field `manifest`)
 * redirecting to the manifest's `redirect_url` with `code` and `state`, and the REST call
 * `POST /app-manifests/{code}/conversions`, matched against GitHub's OpenAPI description and
 * answered with its documented example (with a real key, so the App can start with it).
 */
export interface ManifestStandIn {
  url: string;
  /** Manifests the form received, with the organisation (or null) and state. */
  created: { manifest: Record<string, unknown>; org: string | null; state: string | null }[];
  /** Every REST request: the operation it matched and what GitHub would object to. */
  api: { method: string; path: string; operationId: string | null; problems: string[] }[];
  /** What the conversion answered (the test checks the env file against it). */
  issued: { id: number; pem: string; webhook_secret: string } | null;
  close(): Promise<void>;
}

export async function startManifestStandIn(): Promise<ManifestStandIn> {
  const codes = new Set<string>();
  const stand: Omit<ManifestStandIn, "url" | "close"> = { created: [], api: [], issued: null };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://stand-in");
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(body));
      };
      const form = /^(?:\/organizations\/([^/]+))?\/settings\/apps\/new$/.exec(url.pathname);
      if (req.method === "POST" && form) {
        const manifest = JSON.parse(new URLSearchParams(raw).get("manifest") ?? "null");
        const state = url.searchParams.get("state");
        stand.created.push({ manifest, org: form[1] ?? null, state });
        if (!manifest?.url || !manifest?.hook_attributes?.url || !manifest?.redirect_url)
          return reply(422, { message: "manifest needs url, hook_attributes.url and redirect_url" });
        const code = randomBytes(10).toString("hex");
        codes.add(code);
        const back = new URL(manifest.redirect_url);
        back.searchParams.set("code", code);
        if (state !== null) back.searchParams.set("state", state);
        return reply(302, {}, { location: back.href });
      }
      const matched = matchOperation(req.method ?? "GET", url.pathname);
      const problems = matched ? requestProblems(matched, raw) : ["not a documented GitHub operation"];
      stand.api.push({
        method: req.method ?? "",
        path: url.pathname,
        operationId: matched?.operationId ?? null,
        problems,
      });
      if (!matched || problems.length > 0) return reply(422, { message: problems.join("; ") });
      if (matched.operationId !== "apps/create-from-manifest") return reply(404, { message: "Not Found" });
      if (!codes.delete(matched.params.code!)) return reply(404, { message: "Not Found" });
      const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
        type: "pkcs1",
        format: "pem",
      }) as string;
      const body = {
        ...documentedResponse(matched, "201"),
        id: 4242,
        pem,
        webhook_secret: randomBytes(20).toString("hex"),
      };
      const missing = missingRequired(matched, "201", body);
      if (missing.length > 0) return reply(500, { message: `stand-in answer lacks ${missing.join(", ")}` });
      stand.issued = { id: 4242, pem, webhook_secret: body.webhook_secret };
      return reply(201, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(stand, {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
