/**
 * An Incus cluster as one build host: Incus places each instance on a member itself, unless a lane's
 * labels (`runs_on`) name a member, which becomes `incus launch --target MEMBER`. Pure: parsing of
 * `incus query` answers and the label → target mapping, tested on data.
 */
import { PikaciError } from "../errors/index.js";
import { queryArgv } from "./argv.js";

export interface ClusterInfo {
  clustered: boolean;
  /** Member names (`incus cluster list`); empty when not clustered. */
  members: string[];
}

export const NOT_CLUSTERED: ClusterInfo = { clustered: false, members: [] };

/** `GET /1.0`: the server's environment says whether it is a cluster member. */
export const serverQueryArgv = (): string[] => queryArgv("/1.0", {});
/** `GET /1.0/cluster/members`: the members' URLs, whose last segment is the name. */
export const membersQueryArgv = (): string[] => queryArgv("/1.0/cluster/members", {});

/** `environment.server_clustered` of a `GET /1.0` answer (absent: not clustered). */
export function parseServerClustered(json: string): boolean {
  const body = JSON.parse(json) as { environment?: { server_clustered?: unknown } };
  return body.environment?.server_clustered === true;
}

/** Member names from `GET /1.0/cluster/members` (`["/1.0/cluster/members/NAME", …]`). */
export function parseMemberNames(json: string): string[] {
  const body = JSON.parse(json) as unknown;
  if (!Array.isArray(body)) throw new Error("GET /1.0/cluster/members did not answer a list");
  return body
    .filter((url): url is string => typeof url === "string")
    .map((url) => decodeURIComponent(url.slice(url.lastIndexOf("/") + 1)))
    .filter((name) => name !== "");
}

/**
 * The member a lane must run on: the one member its labels name, or undefined (Incus places it).
 * Labels that are not member names (`x86_64`, `big`) are for choosing among hosts, not members.
 */
export function clusterTarget(cluster: ClusterInfo, labels: readonly string[]): string | undefined {
  if (!cluster.clustered) return undefined;
  const named = cluster.members.filter((member) => labels.includes(member));
  if (named.length > 1) {
    throw new PikaciError(`runs_on names several members of one Incus cluster: ${named.join(", ")}`, {
      hint: "a lane runs on one member; keep at most one member name in its runs_on",
    });
  }
  return named[0];
}
