// The guest runner (guest/pikaci-incus-run) inside real Incus containers from both test images,
// driven with local `incus` through argv arrays (no shell on the host side).
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeE2E } from "./helpers/test-host.js";

const RUNNER = "/run/current-system/sw/bin/pikaci-incus-run";

interface Exec {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function incus(args: string[], timeoutMs = 240_000): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "incus",
      args,
      { encoding: "buffer", maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        if (err && typeof code !== "number") {
          reject(new Error(`incus ${args.join(" ")} failed: ${err.message}\n${stderr.toString()}`));
          return;
        }
        resolve({ code: code as number, stdout, stderr: stderr.toString() });
      },
    );
    // `incus init`/`launch` read instance YAML from a non-TTY stdin: close it or they wait forever.
    child.stdin?.end();
  });
}

async function incusOk(args: string[]): Promise<string> {
  const r = await incus(args);
  if (r.code !== 0) throw new Error(`incus ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout.toString();
}

interface RunResult {
  schema_version: number;
  status: "passed" | "failed";
  exit_code: number;
  finished_at: string;
  message: string;
}

describeE2E("guest runner in real Incus containers", (host) => {
  for (const image of [host.image, host.imageDebian]) {
    describe(image, () => {
      const name = `pikaci-e2e-runner-${image.replace(/[^a-z0-9]/g, "")}-${process.pid}`.slice(0, 60);
      let dir = "";
      let artifacts = "";

      const runner = (env: Record<string, string>, timeoutMs?: number) =>
        incus(
          ["exec", name, ...Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]), "--", RUNNER],
          timeoutMs,
        );
      const result = async (): Promise<RunResult> =>
        JSON.parse(await readFile(path.join(artifacts, "result.json"), "utf8")) as RunResult;
      const guestLog = () => readFile(path.join(artifacts, "guest.log"), "utf8");
      const base = { PIKACI_INCUS_TIMEOUT_SECS: "60" };

      beforeAll(async () => {
        dir = await mkdtemp(path.join(tmpdir(), "pikaci-e2e-runner-"));
        const workspace = path.join(dir, "workspace");
        artifacts = path.join(dir, "artifacts");
        await incus(["delete", "--force", name]);
        await rm(workspace, { recursive: true, force: true });
        const { mkdir } = await import("node:fs/promises");
        await mkdir(workspace);
        await mkdir(artifacts);
        await writeFile(path.join(workspace, "README"), "snapshot file\n");
        // The snapshot must be readable by the unprivileged user in the (unprivileged) container.
        await chmod(dir, 0o755);
        await chmod(workspace, 0o755);
        await chmod(path.join(workspace, "README"), 0o644);
        await incusOk(["init", image, name]);
        // shift=true: idmapped mounts, so container root writes as host root (see docs/incus-notes.md).
        await incusOk([
          "config",
          "device",
          "add",
          name,
          "snapshot",
          "disk",
          `source=${workspace}`,
          "path=/workspace/snapshot",
          "readonly=true",
          "shift=true",
        ]);
        await incusOk([
          "config",
          "device",
          "add",
          name,
          "artifacts",
          "disk",
          `source=${artifacts}`,
          "path=/artifacts",
          "shift=true",
        ]);
        await incusOk(["start", name]);
        for (let i = 0; i < 50; i++) {
          const r = await incus(["exec", name, "--", "test", "-e", RUNNER]);
          if (r.code === 0) return;
          await new Promise((done) => setTimeout(done, 100));
        }
        throw new Error(`${RUNNER} did not appear in ${name}`);
      });

      afterAll(async () => {
        await incus(["delete", "--force", name]);
        if (dir) await rm(dir, { recursive: true, force: true });
      });

      it("passes: runs as the unprivileged user in the snapshot workdir, tees output", async () => {
        const r = await runner({
          ...base,
          PIKACI_INCUS_GUEST_COMMAND: "id -u; pwd; cat README; echo to-stderr >&2",
        });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.toString()).toContain("1000\n/workspace/snapshot\nsnapshot file\n");
        const res = await result();
        expect(res).toMatchObject({ schema_version: 1, status: "passed", exit_code: 0 });
        expect(res.finished_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        const log = await guestLog();
        expect(log).toContain("1000\n/workspace/snapshot\nsnapshot file\n");
        expect(log).toContain("to-stderr");
      });

      it("runs as root when PIKACI_INCUS_RUN_AS_ROOT=1", async () => {
        const r = await runner({
          ...base,
          PIKACI_INCUS_RUN_AS_ROOT: "1",
          PIKACI_INCUS_GUEST_COMMAND: "id -u",
        });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.toString().trim()).toBe("0");
        expect((await result()).status).toBe("passed");
      });

      it("starts the command with no signal ignored, so a self-sent SIGINT kills it", async () => {
        // `echo` after grep: busybox ash would exec a last command in place with SIGQUIT ignored.
        const r = await runner({
          ...base,
          PIKACI_INCUS_GUEST_COMMAND: "grep '^SigIgn:' /proc/self/status; echo .",
        });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.toString()).toMatch(/^SigIgn:\s+0000000000000000$/m);
        const int = await runner({ ...base, PIKACI_INCUS_GUEST_COMMAND: "kill -INT $$; echo survived" });
        expect(int.code).toBe(130);
        expect(int.stdout.toString()).not.toContain("survived");
        expect(await result()).toMatchObject({ status: "failed", exit_code: 130 });
      });

      it("keeps the first PIKACI_INCUS_LOG_LIMIT_BYTES in guest.log and streams everything", async () => {
        const r = await runner({
          ...base,
          PIKACI_INCUS_LOG_LIMIT_BYTES: "100",
          PIKACI_INCUS_GUEST_COMMAND: "seq 1 20000",
        });
        expect(r.code, r.stderr).toBe(0);
        const all = r.stdout.toString();
        expect(all.endsWith("19999\n20000\n")).toBe(true);
        expect(await guestLog()).toBe(all.slice(0, 100));
      });

      it("fails with the command's exit code", async () => {
        const r = await runner({ ...base, PIKACI_INCUS_GUEST_COMMAND: "echo about to fail; exit 3" });
        expect(r.code).toBe(3);
        expect(await result()).toMatchObject({ status: "failed", exit_code: 3 });
        expect(await guestLog()).toContain("about to fail");
      });

      it("kills the whole process tree on timeout", async () => {
        const started = Date.now();
        const r = await runner({
          PIKACI_INCUS_TIMEOUT_SECS: "2",
          PIKACI_INCUS_GUEST_COMMAND: "echo started; sleep 301 & sleep 301 & sleep 301; wait",
        });
        expect(r.code).toBe(124);
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(await result()).toMatchObject({
          status: "failed",
          exit_code: 124,
          message: "timed out after 2s",
        });
        // No process of the tree may survive: neither a running `sleep 301` nor a zombie.
        const scan =
          'for d in /proc/[0-9]*; do s=$(cat "$d/stat" 2>/dev/null) || continue; ' +
          "c=$(tr '\\000' ' ' < \"$d/cmdline\" 2>/dev/null); printf '%s|%s\\n' \"$s\" \"$c\"; done";
        let leftovers: string[] = [];
        for (let i = 0; i < 20; i++) {
          const out = await incusOk(["exec", name, "--", "sh", "-c", scan]);
          leftovers = out.split("\n").filter((line) => {
            const [stat = "", cmdline = ""] = line.split("|");
            const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
            return cmdline.startsWith("sleep 301") || state === "Z";
          });
          if (leftovers.length === 0) break;
          await new Promise((done) => setTimeout(done, 200));
        }
        expect(leftovers).toEqual([]);
      });

      it("passes the command verbatim (quotes, substitutions, newlines, non-ASCII)", async () => {
        const payload = [
          `single ' double " back \` dollar $HOME $(echo no) \${X:-y} backslash \\ \\n`,
          "tab\there; semicolon & pipe | redirect > < * ? [a] ~ # !",
          "héllo — 日本語 🚀",
          "  leading spaces and trailing \\",
          "",
          "%s %d %% printf-ish",
        ].join("\n");
        const command = `cat > /tmp/seen <<'PIKACI_EOF'\n${payload}\nPIKACI_EOF`;
        const r = await runner({ ...base, PIKACI_INCUS_GUEST_COMMAND: command });
        expect(r.code, r.stderr).toBe(0);
        const seen = await incus(["exec", name, "--", "cat", "/tmp/seen"]);
        expect(seen.stdout.equals(Buffer.from(`${payload}\n`, "utf8"))).toBe(true);
      });

      it("passes an 8 KB command verbatim", async () => {
        const line = `x'y"z$(a)\`b\`\\c — 日本 `;
        let payload = "";
        for (let i = 0; Buffer.byteLength(payload) < 8 * 1024; i++) payload += `${i} ${line}\n`;
        payload = payload.trimEnd();
        const command = `cat > /tmp/seen8k <<'PIKACI_EOF'\n${payload}\nPIKACI_EOF`;
        expect(Buffer.byteLength(command)).toBeGreaterThan(8 * 1024);
        const r = await runner({ ...base, PIKACI_INCUS_GUEST_COMMAND: command });
        expect(r.code, r.stderr).toBe(0);
        const seen = await incus(["exec", name, "--", "cat", "/tmp/seen8k"]);
        expect(seen.stdout.toString("utf8")).toBe(`${payload}\n`);
      });

      it("reports a bootstrap error when PIKACI_INCUS_GUEST_COMMAND is missing", async () => {
        const r = await runner({ ...base });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("PIKACI_INCUS_GUEST_COMMAND");
        const res = await result();
        expect(res).toMatchObject({ status: "failed", exit_code: 2 });
        expect(res.message).toContain("PIKACI_INCUS_GUEST_COMMAND");
      });

      it("reports a bootstrap error for a bad timeout", async () => {
        const r = await runner({ PIKACI_INCUS_TIMEOUT_SECS: "soon", PIKACI_INCUS_GUEST_COMMAND: "true" });
        expect(r.code).toBe(2);
        expect((await result()).message).toContain("PIKACI_INCUS_TIMEOUT_SECS");
      });
    });
  }
});
