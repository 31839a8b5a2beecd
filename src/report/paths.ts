import path from "node:path/posix";

/**
 * Where a tool's paths may be rooted: the repository on the runner, and the workspace as the guest
 * sees it (e.g. `/workspace`), since the command ran inside the guest.
 */
export interface PathRoots {
  repoRoot: string;
  guestRoots?: readonly string[];
}

function toPosix(p: string): string {
  return p.replaceAll("\\", "/");
}

/**
 * A repository-relative POSIX path for a path printed by a tool, or undefined when it lies outside
 * the repository (a dependency in ~/.cargo, /usr/include, `../other`) — GitHub cannot show those.
 */
export function relativizePath(file: string, roots: PathRoots): string | undefined {
  const p = toPosix(file.trim());
  if (p === "") return undefined;
  if (p.startsWith("/")) {
    for (const root of [roots.repoRoot, ...(roots.guestRoots ?? [])]) {
      const r = toPosix(root).replace(/\/+$/, "");
      if (r !== "" && p.startsWith(`${r}/`)) return inside(p.slice(r.length + 1));
    }
    return undefined;
  }
  if (/^[A-Za-z]:\//.test(p)) return undefined;
  return inside(p);
}

function inside(relative: string): string | undefined {
  const normal = path.normalize(relative);
  if (normal === "." || normal === ".." || normal.startsWith("../") || normal.startsWith("/"))
    return undefined;
  return normal;
}
