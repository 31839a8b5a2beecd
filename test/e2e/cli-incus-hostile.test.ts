import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import {
  createSandbox,
  destroySandbox,
  hostFlags,
  latestRun,
  pikaci,
  sandboxFor,
  sshHost,
} from "./helpers/cli-incus.js";
import { describeE2E } from "./helpers/test-host.js";

const DELIMITER = "PIKACI_EOF";

/** Every character class that breaks naive quoting, repeated and padded to `size` bytes of UTF-8. */
function hostilePayload(size: number, canary: string): string {
  const core = [
    `single ' quote, double " quote, both '"' and "'"`,
    `command substitution $(touch ${canary}) and \`touch ${canary}\` and \${HOME} and $PATH`,
    "backslashes \\ \\\\ \\n \\t \\' \\\" and a trailing backslash \\",
    "\ttabs\tinside\t",
    "non-ASCII: héllo — 日本語 🚀",
    "globs * ? [a-z] ~ and ; & | > < ( ) { } # ! %",
    "  leading and trailing spaces  ",
    "",
    "an empty line above",
  ].join("\n");
  let payload = core;
  let i = 0;
  while (Buffer.byteLength(payload) < size) payload += `\n${i++}: ${core}`;
  // Trim to exactly `size` bytes without splitting a character, and never end on the delimiter.
  while (Buffer.byteLength(payload) > size) payload = payload.slice(0, -1);
  return payload;
}

/**
 * The "Hostile input" acceptance: a lane command with quotes, newlines, tabs, `$()`,
 * backticks, backslashes, non-ASCII text and 8 KB of length reaches the guest byte for byte. The
 * command is a quoted heredoc that writes its own payload into the run's artifacts dir (read back
 * from the host) and prints it (the guest log). Run under busybox sh and under Debian's bash.
 */
describeE2E("pikaci run --host: a hostile lane command reaches the guest byte for byte", (host) => {
  const sandbox = sandboxFor("hostile");
  let base: string;
  // Were any of it run by a shell on the host, this file would exist there.
  const canary = `/tmp/pikaci-e2e-pwned-${process.pid}`;
  const payload = hostilePayload(8 * 1024, canary);
  const command = `cat > /artifacts/seen <<'${DELIMITER}'\n${payload}\n${DELIMITER}\ncat /artifacts/seen\n`;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "pikaci-e2e-cli-hostile-"));
    await mkdir(join(base, "ws"));
    await writeFile(join(base, "ws", "README.md"), "hostile input fixture\n");
    await createSandbox(host, sandbox);
  });
  afterAll(async () => {
    await destroySandbox(host, sandbox);
    await rm(base, { recursive: true, force: true });
  });

  it("writes and prints exactly the payload, under sh and bash", async () => {
    expect(Buffer.byteLength(payload)).toBe(8 * 1024);
    expect(payload.split("\n")).not.toContain(DELIMITER);
    // run_as_root keeps this suite on the root path; the default unprivileged path is covered
    // on both images by cli-incus-unprivileged.test.ts.
    const config = {
      version: 1,
      lanes: [
        { id: "busybox-sh", image: host.image, run_as_root: true, command },
        { id: "debian-bash", image: host.imageDebian, command },
      ],
    };
    const yamlText = stringify(config);
    expect(parse(yamlText)).toEqual(config);
    await writeFile(join(base, "hostile.yml"), yamlText);

    const state = join(base, "state");
    const result = await pikaci(
      [
        "run",
        "--config",
        join(base, "hostile.yml"),
        "--workspace",
        join(base, "ws"),
        ...hostFlags(host, sandbox),
        "--state-root",
        state,
      ],
      { cwd: base },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const run = (await latestRun(state))!;
    expect(run.status).toBe("passed");
    expect(run.jobs.map((job) => job.image)).toEqual([host.image, host.imageDebian]);
    const expected = Buffer.from(`${payload}\n`);
    for (const job of run.jobs) {
      const seen = await sshHost(host, 'cat -- "$1"', [
        `${sandbox.remoteWorkDir}/runs/${run.run_id}/jobs/${job.lane_id}/artifacts/seen`,
      ]);
      expect(seen.code, seen.stderr).toBe(0);
      expect(seen.stdout.equals(expected), `${job.lane_id}: artifacts/seen differs`).toBe(true);
      const guestLog = await readFile(job.guest_log_path!);
      expect(guestLog.equals(expected), `${job.lane_id}: guest.log differs:\n${guestLog}`).toBe(true);
    }
    const canaries = await sshHost(host, 'ls -- "$1" 2>/dev/null; true', [canary]);
    expect(canaries.stdout.toString()).toBe("");
  }, 300_000);
});
