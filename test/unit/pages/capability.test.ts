import { describe, expect, it } from "vitest";
import { signRepoUrl, signRunUrl, signScope, verifyScope } from "../../../src/pages/capability.js";

const SECRET = "webhook-secret-for-tests";
const RUN_A = "20260324T162238Z-aaaaaaaa";
const RUN_B = "20260324T162238Z-bbbbbbbb";

const sigOf = (url: string) => new URL(url).searchParams.get("sig")!;

describe("capability links", () => {
  it("signs a run URL under the public base URL", () => {
    const url = signRunUrl({ baseUrl: "https://ci.example.org/", runId: RUN_A, secret: SECRET });
    expect(url).toMatch(
      new RegExp(`^https://ci\\.example\\.org/pikaci/runs/${RUN_A}\\?sig=[A-Za-z0-9_-]{43}$`),
    );
    expect(verifyScope({ kind: "run", runId: RUN_A }, sigOf(url), SECRET)).toBe(true);
  });

  it("scopes a signature to one run", () => {
    const sigA = sigOf(signRunUrl({ baseUrl: "https://x", runId: RUN_A, secret: SECRET }));
    expect(verifyScope({ kind: "run", runId: RUN_B }, sigA, SECRET)).toBe(false);
  });

  it("rejects tampered, missing, malformed and wrong-secret signatures", () => {
    const sig = signScope({ kind: "run", runId: RUN_A }, SECRET);
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    expect(verifyScope({ kind: "run", runId: RUN_A }, flipped, SECRET)).toBe(false);
    expect(verifyScope({ kind: "run", runId: RUN_A }, null, SECRET)).toBe(false);
    expect(verifyScope({ kind: "run", runId: RUN_A }, "", SECRET)).toBe(false);
    expect(verifyScope({ kind: "run", runId: RUN_A }, `${sig}=`, SECRET)).toBe(false);
    expect(verifyScope({ kind: "run", runId: RUN_A }, sig, "another-secret")).toBe(false);
  });

  it("keeps run and repository scopes apart, and repositories case-insensitive", () => {
    const repoUrl = signRepoUrl({ baseUrl: "https://x", owner: "SledTools", repo: "Pika", secret: SECRET });
    expect(repoUrl).toMatch(/\/pikaci\/repos\/SledTools\/Pika\?sig=/);
    expect(verifyScope({ kind: "repo", owner: "sledtools", repo: "pika" }, sigOf(repoUrl), SECRET)).toBe(
      true,
    );
    expect(verifyScope({ kind: "repo", owner: "sledtools", repo: "other" }, sigOf(repoUrl), SECRET)).toBe(
      false,
    );
    const runSig = signScope({ kind: "run", runId: RUN_A }, SECRET);
    expect(verifyScope({ kind: "repo", owner: "sledtools", repo: "pika" }, runSig, SECRET)).toBe(false);
  });

  it("is not the raw HMAC of the secret: the key is derived", async () => {
    const { createHmac } = await import("node:crypto");
    const naive = createHmac("sha256", SECRET).update(`run:${RUN_A}`).digest("base64url");
    expect(signScope({ kind: "run", runId: RUN_A }, SECRET)).not.toBe(naive);
  });
});
