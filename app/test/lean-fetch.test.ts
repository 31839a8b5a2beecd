import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leanFetch } from "../src/lean-fetch.js";

let server: Server;
let base: string;
const seen: { method: string; url: string; body: string; auth: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, body, auth: req.headers.authorization });
      if (req.url === "/moved") {
        res.writeHead(301, { location: "/here" }).end();
      } else if (req.url === "/here") {
        res
          .writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] })
          .end('{"ok":true}');
      } else if (req.url?.startsWith("/away?")) {
        const to = new URL(req.url, "http://x").searchParams.get("to")!;
        res.writeHead(302, { location: to }).end();
      } else if (req.url === "/echo") {
        res.writeHead(201, { "content-type": "text/plain; charset=utf-8" }).end(`got ${body}`);
      } else {
        res.writeHead(404, "Nope").end("é");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("leanFetch", () => {
  it("follows a GET redirect and exposes status, url, headers and the body", async () => {
    const res = await leanFetch(`${base}/moved`, { method: "GET", headers: { authorization: "token t" } });
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${base}/here`);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("set-cookie")).toContain("a=1");
    expect(await res.json()).toEqual({ ok: true });
    expect(seen.slice(-2).map((s) => [s.url, s.auth])).toEqual([
      ["/moved", "token t"],
      ["/here", "token t"],
    ]);
  });

  it("drops credentials on a redirect to another origin, as the fetch standard does", async () => {
    const other = createServer((req, res) => {
      seen.push({ method: req.method!, url: req.url!, body: "", auth: req.headers.authorization });
      res.writeHead(req.headers.authorization || req.headers.cookie ? 400 : 200).end("blob");
    });
    await new Promise<void>((r) => other.listen(0, "127.0.0.2", r));
    const target = `http://127.0.0.2:${(other.address() as AddressInfo).port}/blob?sig=1`;
    try {
      const res = await leanFetch(`${base}/away?to=${encodeURIComponent(target)}`, {
        headers: { Authorization: "token t", cookie: "c=1", accept: "application/zip" },
      });
      expect([res.status, res.url, await res.text()]).toEqual([200, target, "blob"]);
      expect(seen.at(-1)).toMatchObject({ url: "/blob?sig=1", auth: undefined });
    } finally {
      other.close();
    }
  });

  it("sends a body with its length and reads text and bytes", async () => {
    const res = await leanFetch(`${base}/echo`, { method: "POST", body: "héllo" });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("got héllo");
    const missing = await leanFetch(`${base}/missing`);
    expect([missing.status, missing.statusText]).toEqual([404, "Nope"]);
    expect(new TextDecoder().decode(await missing.arrayBuffer())).toBe("é");
  });

  it("fails like fetch when nothing listens", async () => {
    await expect(leanFetch("http://127.0.0.1:1/")).rejects.toThrow("fetch failed");
    await expect(leanFetch("ftp://127.0.0.1/")).rejects.toThrow("unsupported URL");
  });
});

describe("leanFetch on a kept-alive connection the server has closed", () => {
  it("sends the request again on a fresh connection when the reused one is reset before any answer", async () => {
    // A server that answers the first request of each connection and closes the connection on the
    // next one without answering: what a client sees when it reuses a connection the server had
    // closed as idle before the client read that close.
    const connections: number[] = [];
    const raw = createNetServer((socket) => {
      connections.push(0);
      const index = connections.length - 1;
      socket.on("data", (chunk: Buffer) => {
        if (!chunk.toString("latin1").includes(" HTTP/1.1\r\n")) return;
        connections[index]!++;
        if (connections[index] === 1)
          socket.write(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok",
          );
        else socket.destroy();
      });
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/graphql`;
    try {
      // Two connections in the pool, both closed by the server as idle.
      const first = await Promise.all([1, 2].map(() => leanFetch(url, { method: "POST", body: "{}" })));
      expect(await Promise.all(first.map((r) => r.text()))).toEqual(["ok", "ok"]);
      const again = await leanFetch(url, { method: "POST", body: "{}" });
      expect(again.status).toBe(200);
      expect(await again.text()).toBe("ok");
      // One pooled connection saw the request (and reset it); the resend went to a fresh
      // connection, not to the other stale one.
      expect([...connections].sort()).toEqual([1, 1, 2]);
    } finally {
      raw.close();
    }
  });
});
