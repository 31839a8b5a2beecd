import type { Finding, HostFacts, ImageFacts } from "./report.js";

export interface Expectations {
  runnerPath: string;
  /** The result.json `schema_version` this pikaci reads (the guest contract's version). */
  contractVersion: number;
  /** Below this the work dir is a problem (snapshots and artifacts will not fit). */
  minFreeBytes: number;
  /** Below this it is a warning. */
  lowFreeBytes: number;
  /** A login shell starting slower than this is a warning: every remote command pays it. */
  shellStartupMs: number;
  /** Where the start-up cannot be timed: a whole remote command slower than this is a warning. */
  slowCommandMs: number;
}

/** Copy-on-write drivers clone an image's volume instead of unpacking it per instance. */
const COPY_ON_WRITE = new Set(["btrfs", "zfs", "lvm", "lvmcluster", "ceph"]);
/** Measured on the test host (docs/incus-notes.md): Debian minbase launch + exec + delete. */
const DIR_COST = "3.8–5.5 s per Debian instance on `dir` against 0.9 s on btrfs (launch + exec + delete)";

const ok = (check: Finding["check"], message: string): Finding => ({
  check,
  level: "ok",
  message,
  fix: null,
});
const warn = (check: Finding["check"], message: string, fix: string): Finding => ({
  check,
  level: "warn",
  message,
  fix,
});
const problem = (check: Finding["check"], message: string, fix: string): Finding => ({
  check,
  level: "problem",
  message,
  fix,
});

/** Pure: what the gathered facts mean, one finding per check (and per image). */
export function assessHost(facts: HostFacts, expect: Expectations): Finding[] {
  if (facts.incus.server === null) {
    return [
      problem(
        "incus",
        `Incus does not answer on ${facts.host}: ${facts.incus.error ?? "no server version"}`,
        "install Incus (incus-base) and start it, and add the ssh account to the incus-admin group (docs/build-host.md)",
      ),
      ...assessWorkDir(facts, expect),
      assessShell(facts, expect),
    ];
  }
  return [
    assessIncus(facts),
    assessStorage(facts),
    ...facts.images.map((image) => assessImage(image, facts.project, expect)),
    ...assessWorkDir(facts, expect),
    assessShell(facts, expect),
    ...assessPool(facts),
  ];
}

function assessStorage({ storage }: HostFacts): Finding {
  if (storage.driver === null) {
    return problem(
      "storage",
      `no storage pool for new instances: ${storage.error ?? "the default profile has no root disk"}`,
      "give the project's default profile a root disk: `incus profile device add default root disk path=/ pool=POOL`",
    );
  }
  if (COPY_ON_WRITE.has(storage.driver)) return ok("storage", `pool ${storage.pool} (${storage.driver})`);
  return warn(
    "storage",
    `pool ${storage.pool} uses the \`${storage.driver}\` driver, which copies the whole image for every instance: ${DIR_COST}`,
    "create a copy-on-write pool (`incus storage create pikaci btrfs size=50GiB`) and point the default profile's root disk at it (docs/build-host.md)",
  );
}

function assessImage(image: ImageFacts, project: string | null, expect: Expectations): Finding {
  const where = project ? ` in project ${project}` : "";
  if (!image.exists) {
    return problem(
      "image",
      `image ${image.alias} is missing${where}`,
      `on the build host, build and import it: \`bash images/build-debian.sh --alias ${image.alias}\` (or build-busybox.sh, build-debian-node.sh), or import the Nix image from nix/incus (docs/build-host.md)${project ? "; a project with features.images=true needs its own copy" : ""}`,
    );
  }
  const runner = image.runner;
  const rebuild = `rebuild ${image.alias} from images/ or nix/ so it holds the current runner (guest/pikaci-incus-run)`;
  if (runner === null || runner.error !== null) {
    return problem(
      "image",
      `image ${image.alias}: cannot probe its runner: ${runner?.error ?? "not probed"}`,
      rebuild,
    );
  }
  if (!runner.present) {
    return problem("image", `image ${image.alias} has no executable runner at ${expect.runnerPath}`, rebuild);
  }
  if (runner.contract_version !== expect.contractVersion) {
    const got =
      runner.contract_version === null ? "no valid result.json" : `version ${runner.contract_version}`;
    return problem(
      "image",
      `image ${image.alias}: runner speaks ${got}, this pikaci expects guest contract version ${expect.contractVersion}`,
      rebuild,
    );
  }
  return ok(
    "image",
    `image ${image.alias} (${image.fingerprint?.slice(0, 12) ?? "?"}): runner at ${expect.runnerPath}, contract v${expect.contractVersion}`,
  );
}

function assessWorkDir({ work_dir: dir }: HostFacts, expect: Expectations): Finding[] {
  const createFix = `create it for the ssh account: \`mkdir -p ${dir.path} && chown USER ${dir.path}\`, or pass --remote-work-dir`;
  if (!dir.writable) {
    const why =
      dir.error ?? (dir.exists ? "not writable by the ssh account" : "cannot be created by the ssh account");
    return [problem("work_dir", `remote work dir ${dir.path}: ${why}`, createFix)];
  }
  const free = dir.free_bytes;
  const state = dir.exists ? "" : " (will be created)";
  if (free === null) return [ok("work_dir", `remote work dir ${dir.path}${state}, free space unknown`)];
  const text = `remote work dir ${dir.path}${state}: ${(free / 1024 ** 3).toFixed(1)} GiB free`;
  const cleanFix =
    "free space there (`pikaci gc` removes stale snapshots and caches) or move it to a bigger disk";
  if (free < expect.minFreeBytes) return [problem("work_dir", text, cleanFix)];
  if (free < expect.lowFreeBytes) return [warn("work_dir", text, cleanFix)];
  return [ok("work_dir", text)];
}

function assessIncus({ incus }: HostFacts): Finding {
  const version = `Incus ${incus.server} (client ${incus.client ?? "?"})`;
  if (incus.api === undefined) return ok("incus", version);
  if (incus.api.socket !== null) return ok("incus", `${version}, API on ${incus.api.socket}`);
  return warn(
    "incus",
    `${version}, but its API socket cannot be reached (${incus.api.fallback ?? "unknown"}): every step starts an \`incus\` process over ssh (30–60 ms each)`,
    "let the build account forward to the Incus socket: sshd's `AllowStreamLocalForwarding` must not be `no` (the default allows it), and the account needs the socket's group (incus-admin) (docs/build-host.md)",
  );
}

function assessShell({ shell }: HostFacts, expect: Expectations): Finding {
  const startup =
    shell.startup_ms === null
      ? "its start-up could not be timed"
      : `${shell.login_shell ?? "the login shell"} starts in ${shell.startup_ms.toFixed(1)} ms`;
  const text = `one remote command costs ${shell.median_ms.toFixed(0)} ms (median of ${shell.samples_ms.length}); ${startup}`;
  const slow =
    shell.startup_ms === null
      ? shell.median_ms > expect.slowCommandMs
      : shell.startup_ms > expect.shellStartupMs;
  if (!slow) return ok("shell", text);
  return warn(
    "shell",
    `${text}; each lane pays it about five times`,
    "give the build account a cheap shell (`usermod -s /bin/sh pikaci`) and nothing slow in its shell start-up files, e.g. `pyenv init` in ~/.bashrc (docs/build-host.md)",
  );
}

/**
 * The warm pool as the host holds it: members per image alias, claimed ones (running a job) apart.
 * A member of an image whose alias now points elsewhere never serves a job again; gc reaps it.
 */
function assessPool({ pool, images }: HostFacts): Finding[] {
  if (pool.error !== null) {
    return [
      warn(
        "pool",
        `cannot list warm pool members: ${pool.error}`,
        "check `incus list` works for the ssh account",
      ),
    ];
  }
  if (pool.members.length === 0) return [ok("pool", "warm pool: 0 members")];
  const current = new Map(images.map((i) => [i.alias, i.fingerprint]));
  const byAlias = new Map<string, { idle: number; claimed: number }>();
  for (const member of pool.members) {
    const entry = byAlias.get(member.alias ?? "?") ?? { idle: 0, claimed: 0 };
    if (member.claimed) entry.claimed++;
    else entry.idle++;
    byAlias.set(member.alias ?? "?", entry);
  }
  const counts = [...byAlias]
    .map(([alias, n]) => `${alias}: ${n.idle} idle, ${n.claimed} claimed`)
    .join("; ");
  const findings = [ok("pool", `warm pool: ${pool.members.length} members (${counts})`)];
  const outdated = pool.members.filter(
    (m) => !m.claimed && m.alias !== null && current.has(m.alias) && current.get(m.alias) !== m.fingerprint,
  );
  if (outdated.length > 0) {
    findings.push(
      warn(
        "pool",
        `${outdated.length} idle pool member(s) hold an outdated image: ${outdated.map((m) => m.name).join(", ")}`,
        "run `pikaci gc` (it reaps members of outdated images), or let the systemd timer do it",
      ),
    );
  }
  return findings;
}
