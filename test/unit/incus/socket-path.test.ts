import { describe, expect, it } from "vitest";
import { socketFromEnv } from "../../../src/incus/api/socket-path.js";

describe("socketFromEnv (where the incus CLI finds its daemon)", () => {
  it("takes INCUS_SOCKET first", () => {
    expect(socketFromEnv({ INCUS_SOCKET: "/run/x.sock", INCUS_DIR: "/srv/incus" })).toBe("/run/x.sock");
  });
  it("else the socket inside INCUS_DIR (a second daemon on the same machine)", () => {
    expect(socketFromEnv({ INCUS_SOCKET: "", INCUS_DIR: "/srv/incus2/" })).toBe("/srv/incus2/unix.socket");
  });
  it("else the default data dir", () => {
    expect(socketFromEnv({})).toBe("/var/lib/incus/unix.socket");
  });
});
