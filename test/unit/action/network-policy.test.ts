import { describe, expect, it } from "vitest";
import { networkRefusal } from "../../../src/action/network-policy.js";

const pr = (head: string | null) => ({
  pull_request: { head: { repo: head === null ? null : { full_name: head } } },
  repository: { full_name: "owner/repo" },
});

describe("network policy for the Action", () => {
  it("refuses network to a fork's pull request (and to one whose fork was deleted)", () => {
    expect(networkRefusal("pull_request", pr("someone/repo"))).toMatch(/from a fork \(someone\/repo\)/);
    expect(networkRefusal("pull_request_target", pr("someone/repo"))).toMatch(/no maintainer approved/);
    expect(networkRefusal("pull_request", pr(null))).toMatch(/deleted repository/);
  });

  it("allows the repository's own pull requests, pushes and the App's dispatch (sent after approval)", () => {
    expect(networkRefusal("pull_request", pr("owner/repo"))).toBeUndefined();
    expect(networkRefusal("push", {})).toBeUndefined();
    expect(networkRefusal("workflow_dispatch", {})).toBeUndefined();
  });
});
