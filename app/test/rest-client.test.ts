import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRestClient,
  createWriteSpacing,
  encodePart,
  RestError,
  rateLimitWaitSecs,
} from "../src/rest/client.js";
import { createTokenCache } from "../src/rest/tokens.js";

/** A real HTTP server in place of GitHub: answers from `answer`, records what it was sent. */
const seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];
let answer: (url: string) => { status: number; type?: string; body: string } = () => ({
  status: 200,
  body: "{}",
});
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => {
    body += c;
  });
  req.on("end", () => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
    const out = answer(req.url ?? "");
    res.writeHead(out.status, { "content-type": out.type ?? "application/json; charset=utf-8" });
    res.end(out.body);
  });
});
let baseUrl = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("lean REST client", () => {
  it("sends the token, the media type and a JSON body, and parses JSON answers", async () => {
    seen.length = 0;
    answer = () => ({ status: 201, body: '{"id":12}' });
    const rest = createRestClient({ baseUrl: `${baseUrl}/`, token: async () => "ghs_abc" });
    const res = await rest({ method: "POST", path: "/repos/o/r/check-runs", body: { name: "lint" } });
    expect(res).toEqual({ status: 201, data: { id: 12 } });
    expect(seen[0]).toMatchObject({
      method: "POST",
      url: "/api/v3/repos/o/r/check-runs",
      body: '{"name":"lint"}',
      headers: {
        authorization: "token ghs_abc",
        accept: "application/vnd.github.v3+json",
        "content-type": "application/json; charset=utf-8",
      },
    });
  });

  it("gives a raw file as text even when it looks like JSON", async () => {
    answer = () => ({ status: 200, type: "application/json", body: '{"version": 1}' });
    const rest = createRestClient({ baseUrl, token: async () => "t" });
    const res = await rest({
      method: "GET",
      path: "/x",
      accept: "application/vnd.github.v3.raw",
      text: true,
    });
    expect(res.data).toBe('{"version": 1}');
  });

  it("throws an answer of 400 or more shaped like Octokit's RequestError, without retrying a 404", async () => {
    seen.length = 0;
    answer = () => ({
      status: 404,
      body: JSON.stringify({ message: "Not Found", documentation_url: "https://docs.example/x" }),
    });
    const rest = createRestClient({ baseUrl, token: async () => "t", retry: { baseMs: 1 } });
    const error = await rest({ method: "GET", path: "/missing" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestError);
    expect(error).toMatchObject({
      status: 404,
      message: "Not Found - https://docs.example/x",
      response: { data: { message: "Not Found" } },
    });
    expect(seen).toHaveLength(1);
  });

  it("retries a 502 as Octokit's retry policy does", async () => {
    seen.length = 0;
    answer = () =>
      seen.length < 3 ? { status: 502, body: '{"message":"bad gateway"}' } : { status: 200, body: "[]" };
    const rest = createRestClient({ baseUrl, token: async () => "t", retry: { baseMs: 1 } });
    expect((await rest({ method: "GET", path: "/flaky" })).data).toEqual([]);
    expect(seen).toHaveLength(3);
  });

  it("waits on a secondary rate limit or a 401 (a token not yet replicated), not on a plain 403", () => {
    const limit = new RestError(403, "u", { message: "You have exceeded a secondary rate limit" });
    expect(rateLimitWaitSecs(limit)).toBe(60);
    expect(rateLimitWaitSecs(new RestError(429, "u", {}))).toBe(60);
    expect(rateLimitWaitSecs(new RestError(403, "u", {}, { "retry-after": "7" }))).toBe(7);
    expect(rateLimitWaitSecs(new RestError(401, "u", { message: "Bad credentials" }))).toBe(1);
    expect(rateLimitWaitSecs(new RestError(403, "u", { message: "Resource not accessible" }))).toBeNull();
    expect(rateLimitWaitSecs(new Error("x"))).toBeNull();
  });

  it("encodes a path parameter as Octokit's URL templates do", () => {
    expect(encodePart(".github/pikaci.yml")).toBe(".github%2Fpikaci.yml");
    expect(encodePart("it's (a)*!")).toBe("it%27s%20%28a%29%2A%21");
  });
});

describe("write spacing", () => {
  it("runs one write at a time, each started at least minMs after the previous one", async () => {
    const spacing = createWriteSpacing(40);
    const starts: number[] = [];
    let running = 0;
    let most = 0;
    const write = async () => {
      starts.push(performance.now());
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    };
    await Promise.all([
      spacing.run(write),
      spacing.run(() => Promise.reject(new Error("x"))).catch(() => {}),
      spacing.run(write),
      spacing.run(write),
    ]);
    expect(most).toBe(1);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(39);
  });
});

describe("installation token cache", () => {
  it("mints once per installation while held, once for concurrent callers, and again after the hold", async () => {
    let clock = 0;
    const cache = createTokenCache(() => clock);
    let mints = 0;
    const mint = async () => `tok-${++mints}`;
    expect(await Promise.all([cache.get(1, mint), cache.get(1, mint)])).toEqual(["tok-1", "tok-1"]);
    expect(await cache.get(2, mint)).toBe("tok-2");
    clock = 29_000;
    expect(await cache.get(1, mint)).toBe("tok-1");
    clock = 31_000;
    expect(await cache.get(1, mint)).toBe("tok-3");
  });

  it("does not keep a failed mint", async () => {
    const cache = createTokenCache();
    await expect(cache.get(1, () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(await cache.get(1, async () => "ok")).toBe("ok");
  });
});
