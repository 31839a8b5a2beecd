import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import { parseHostUrl } from "../../../src/transport/host-url.js";

describe("parseHostUrl", () => {
  it("parses user, host and port", () => {
    expect(parseHostUrl("ssh://root@127.0.0.1:2222")).toEqual({
      kind: "ssh",
      user: "root",
      host: "127.0.0.1",
      port: 2222,
      description: "ssh://root@127.0.0.1:2222",
    });
  });

  it("defaults the port to 22 and accepts host names and IPv6", () => {
    expect(parseHostUrl("ssh://ci@build-1.example.org")).toMatchObject({
      host: "build-1.example.org",
      port: 22,
    });
    expect(parseHostUrl("ssh://ci@[::1]:2200")).toMatchObject({
      host: "::1",
      port: 2200,
      description: "ssh://ci@[::1]:2200",
    });
  });

  it("treats localhost (and its older spelling local) as this machine without ssh, recorded as localhost", () => {
    expect(parseHostUrl("local")).toEqual({ kind: "localhost", description: "localhost" });
    expect(parseHostUrl("localhost")).toEqual({ kind: "localhost", description: "localhost" });
  });

  it.each([
    ["root@host:22", /not an ssh:\/\/ URL/],
    ["ssh://host:22", /has no user/],
    ["ssh://root:secret@host:22", /must not contain a password/],
    ["ssh://root@host:0", /invalid port '0'/],
    ["ssh://root@host:70000", /invalid port '70000'/],
    ["ssh://root@host:22x", /invalid port '22x'/],
    ["ssh://root@ho st:22", /invalid host name/],
    ["ssh://root@host:22/path", /malformed/],
    ["ssh://-oProxyCommand=x@host", /not a valid user name/],
  ])("rejects %s with a clear message", (url, message) => {
    const error = (() => {
      try {
        parseHostUrl(url);
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(message);
    expect((error as UsageError).hint).toBeTruthy();
  });

  it("never echoes a password back", () => {
    expect(() => parseHostUrl("ssh://root:hunter2@host")).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("hunter2") }),
    );
  });
});
