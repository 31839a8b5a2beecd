import { describe, expect, it } from "vitest";
import { resolveLane } from "../../../src/config/resolve.js";
import { InfrastructureError } from "../../../src/errors/index.js";
import {
  candidateOrder,
  NO_NETWORK,
  parseBridgeAddress,
  staticNic,
} from "../../../src/executor/incus/network.js";
import { createArgv } from "../../../src/incus/argv.js";
import { PikaciConfig } from "../../../src/schema/index.js";

describe("lane network", () => {
  it("network: true is the default bridge, a name is kept, absent or false adds nothing", () => {
    const config = PikaciConfig.parse({
      version: 1,
      lanes: [
        { id: "a", command: "x", network: true },
        { id: "b", command: "x", network: "lanbr1" },
        { id: "c", command: "x", network: false },
        { id: "d", command: "x" },
      ],
    });
    expect(resolveLane(config, "a").execute.network).toBe("pikacibr0");
    expect(resolveLane(config, "b").execute.network).toBe("lanbr1");
    expect("network" in resolveLane(config, "c").execute).toBe(false);
    expect("network" in resolveLane(config, "d").execute).toBe(false);
    expect(() =>
      PikaciConfig.parse({ version: 1, lanes: [{ id: "a", command: "x", network: "no spaces" }] }),
    ).toThrow();
  });

  it("a bridge /24 gives its gateway and the addresses .10-.254 without the gateway", () => {
    const { gateway, prefix, hosts } = parseBridgeAddress("10.213.77.1/24\n");
    expect([gateway, prefix]).toEqual(["10.213.77.1", 24]);
    expect(hosts[0]).toBe("10.213.77.10");
    expect(hosts.at(-1)).toBe("10.213.77.254");
    expect(hosts).toHaveLength(245);
    expect(parseBridgeAddress("10.0.0.100/24").hosts).not.toContain("10.0.0.100");
    expect(() => parseBridgeAddress("10.0.0.1/16")).toThrow(InfrastructureError);
    expect(() => parseBridgeAddress("none")).toThrow(InfrastructureError);
  });

  it("instances try every address once, starting at a place spread by their name", () => {
    const { hosts } = parseBridgeAddress("10.213.77.1/24");
    const a = candidateOrder(hosts, "pikaci-aaaa");
    const b = candidateOrder(hosts, "pikaci-bbbb");
    expect([...a].sort()).toEqual([...hosts].sort());
    expect(a[0]).not.toBe(b[0]);
    expect(candidateOrder(hosts, "pikaci-aaaa")).toEqual(a);
  });

  it("the NIC and LXC config: address and default route set by LXC, no DHCP client needed", () => {
    const nic = staticNic({
      network: "pikacibr0",
      address: "10.213.77.42",
      gateway: "10.213.77.1",
      prefix: 24,
    });
    const { stdin } = createArgv(
      {
        image: "img",
        name: "pikaci-x",
        vm: false,
        config: { ...nic.config },
        devices: [],
        otherDevices: nic.devices,
      },
      {},
      true,
    );
    expect(JSON.parse(stdin)).toEqual({
      config: {
        "raw.lxc": "lxc.net.0.ipv4.address = 10.213.77.42/24\nlxc.net.0.ipv4.gateway = 10.213.77.1\n",
      },
      devices: {
        eth0: { type: "nic", network: "pikacibr0", name: "eth0", "ipv4.address": "10.213.77.42" },
      },
    });
  });

  it("without network the instance's eth0 is `none`, hiding a profile's NIC", () => {
    const { stdin } = createArgv(
      {
        image: "img",
        name: "pikaci-x",
        vm: false,
        config: {},
        devices: [],
        otherDevices: NO_NETWORK.devices,
      },
      {},
      true,
    );
    expect(JSON.parse(stdin).devices).toEqual({ eth0: { type: "none" } });
  });
});
