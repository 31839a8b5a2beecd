import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import {
  checkDistinct,
  hostId,
  hostSpecFromConfig,
  parseHostSpec,
} from "../../../src/placement/host-spec.js";

describe("parseHostSpec", () => {
  it("reads capacity, labels and project from the query", () => {
    expect(parseHostSpec("ssh://ci@10.0.0.5:2222?capacity=4&labels=x86_64,big&project=p2")).toEqual({
      url: "ssh://ci@10.0.0.5:2222",
      capacity: 4,
      labels: ["x86_64", "big"],
      project: "p2",
    });
    expect(parseHostSpec("localhost")).toEqual({ url: "localhost", labels: [] });
  });

  it("refuses an unknown parameter, naming the ones it knows", () => {
    const error = (() => {
      try {
        parseHostSpec("ssh://ci@h:22?capacty=4");
      } catch (e) {
        return e as UsageError;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).toContain("unknown parameter 'capacty'");
    expect(error?.hint).toContain("?capacity=N");
  });

  it("refuses a bad capacity, label or project", () => {
    expect(() => parseHostSpec("ssh://ci@h:22?capacity=0")).toThrow(/capacity must be a whole number/);
    expect(() => parseHostSpec("ssh://ci@h:22?labels=a,b c")).toThrow(/label 'b c'/);
    expect(() => parseHostSpec("ssh://ci@h:22?project=a/b")).toThrow(/not an Incus project name/);
    expect(() => parseHostSpec("ssh://ci:pw@h:22?capacity=2")).toThrow(/password/);
  });

  it("lets a config entry's keys win over its url's parameters", () => {
    expect(
      hostSpecFromConfig({ url: "ssh://ci@h:22?capacity=2&labels=a", capacity: 6, project: "p" }),
    ).toEqual({
      url: "ssh://ci@h:22",
      capacity: 6,
      labels: ["a"],
      project: "p",
    });
  });

  it("names a host by its URL and project, and refuses the same one twice", () => {
    expect(hostId({ url: "ssh://ci@h", project: "p2" })).toBe("ssh://ci@h:22?project=p2");
    expect(() =>
      checkDistinct([parseHostSpec("ssh://ci@h:22"), parseHostSpec("ssh://ci@h:22?project=p")]),
    ).not.toThrow();
    expect(() =>
      checkDistinct([parseHostSpec("ssh://ci@h:22"), parseHostSpec("ssh://ci@h?capacity=2")]),
    ).toThrow(/named twice/);
  });
});
