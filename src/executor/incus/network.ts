import { createHash } from "node:crypto";
import { posix } from "node:path";
import { InfrastructureError } from "../../errors/index.js";
import type { Transport } from "../../transport/transport.js";

/**
 * `network:` for a lane (docs/config.md): the instance gets one NIC on a managed Incus bridge with
 * NAT. The guest needs no DHCP client: pikaci gives it a static address from the bridge's /24, and
 * LXC sets the address and default route inside the container before its init starts
 * (`lxc.net.0.ipv4.*` through `raw.lxc`); the executor then writes `/etc/resolv.conf` naming the
 * bridge's dnsmasq. Without `network:` the instance gets no NIC at all, and an `eth0` of type
 * `none` hides any NIC a build host's default profile would add.
 */
export interface NetworkAttachment {
  /** Merged into the instance's devices. */
  devices: Record<string, Record<string, string>>;
  /** Merged into the instance's config. */
  config: Record<string, string>;
  /** The guest's resolver (the bridge's address), or null without network. */
  resolver: string | null;
  /** Host path of the address lease to remove when the job ends, or null. */
  lease: string | null;
  address: string | null;
}

/** A lane without network: hide a profile's NIC too. */
export const NO_NETWORK: NetworkAttachment = {
  devices: { eth0: { type: "none" } },
  config: {},
  resolver: null,
  lease: null,
  address: null,
};

/** Pure: the devices and LXC config of a container NIC with a static address. */
export function staticNic(params: { network: string; address: string; gateway: string; prefix: number }) {
  return {
    devices: {
      eth0: { type: "nic", network: params.network, name: "eth0", "ipv4.address": params.address },
    },
    config: {
      "raw.lxc": `lxc.net.0.ipv4.address = ${params.address}/${params.prefix}\nlxc.net.0.ipv4.gateway = ${params.gateway}\n`,
    },
  };
}

/** Pure: the bridge's `ipv4.address` (`10.213.77.1/24`) → gateway, prefix and the host addresses to lease. */
export function parseBridgeAddress(cidr: string): { gateway: string; prefix: number; hosts: string[] } {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  if (!match || Number(match[5]) !== 24) {
    throw new InfrastructureError(
      `the network's ipv4.address is ${JSON.stringify(cidr.trim())}, not an a.b.c.d/24`,
      {
        hint: "give lanes a managed bridge with an IPv4 /24, e.g. `incus network create pikacibr0 ipv4.address=10.213.77.1/24 ipv4.nat=true ipv6.address=none`",
      },
    );
  }
  const net = `${match[1]}.${match[2]}.${match[3]}`;
  const gateway = `${net}.${match[4]}`;
  const hosts: string[] = [];
  // .1–.9 stay free for the bridge and anything a person adds by hand.
  for (let i = 10; i <= 254; i++) if (`${net}.${i}` !== gateway) hosts.push(`${net}.${i}`);
  return { gateway, prefix: 24, hosts };
}

/** Pure: the lease candidates in the order this instance tries them (spread by its name). */
export function candidateOrder(hosts: readonly string[], instance: string): string[] {
  const start = createHash("sha256").update(instance).digest().readUInt32BE(0) % hosts.length;
  return [...hosts.slice(start), ...hosts.slice(0, start)];
}

/**
 * Reads the bridge's address and leases a free one by `mkdir` (atomic) under
 * `<remoteWorkDir>/net/<network>/`; a lease whose instance no longer exists is taken over.
 */
const LEASE_SCRIPT = `
set -u
net=$1; dir=$2; inst=$3; shift 3
cidr=$(incus network get "$net" ipv4.address "$@" 2>&1) || { echo "nonet $cidr"; exit 3; }
echo "cidr $cidr"
`;

const TAKE_SCRIPT = `
set -u
dir=$1; inst=$2; shift 2
mkdir -p "$dir"
for ip in "$@"; do
  if mkdir "$dir/$ip" 2>/dev/null; then echo "$inst" >"$dir/$ip/instance"; echo "lease $ip"; exit 0; fi
  owner=$(cat "$dir/$ip/instance" 2>/dev/null || true)
  if [ -n "$owner" ] && ! incus list --all-projects -f csv -c n 2>/dev/null | grep -qx "$owner"; then
    echo "$inst" >"$dir/$ip/instance"; echo "lease $ip"; exit 0
  fi
done
echo full; exit 4
`;

export async function attachNetwork(params: {
  transport: Transport;
  network: string;
  instance: string;
  remoteWorkDir: string;
  project?: string;
}): Promise<NetworkAttachment> {
  const { transport, network, instance } = params;
  const projectArgs = params.project ? ["--project", params.project] : [];
  const dir = posix.join(params.remoteWorkDir, "net", network);
  const read = await transport.exec([
    "sh",
    "-c",
    LEASE_SCRIPT,
    "pikaci-net",
    network,
    dir,
    instance,
    ...projectArgs,
  ]);
  const out = read.stdout.toString();
  if (read.code !== 0) {
    throw new InfrastructureError(
      `the lane asks for network '${network}', which the build host does not have: ${out.trim()}`,
      {
        hint: `create it on the build host (test/host/setup.sh does: incus network create ${network} ipv4.address=10.213.77.1/24 ipv4.nat=true ipv6.address=none), or name an existing managed bridge in the lane's network:`,
      },
    );
  }
  const { gateway, prefix, hosts } = parseBridgeAddress(out.replace(/^cidr /, ""));
  const take = await transport.exec([
    "sh",
    "-c",
    TAKE_SCRIPT,
    "pikaci-lease",
    dir,
    instance,
    ...candidateOrder(hosts, instance),
  ]);
  const leased = /^lease (\S+)$/m.exec(take.stdout.toString());
  if (take.code !== 0 || !leased) {
    throw new InfrastructureError(`no free address on network '${network}' (${hosts.length} in use)`, {
      hint: `remove stale leases under ${dir} on the build host, or lower the lane concurrency`,
    });
  }
  const address = leased[1]!;
  return {
    ...staticNic({ network, address, gateway, prefix }),
    resolver: gateway,
    lease: posix.join(dir, address),
    address,
  };
}

/** The lane's attachment: none (a `none` eth0), or a leased address on its network. */
export async function laneNetwork(params: {
  transport: Transport;
  spec: { network?: string; instance_type: "container" | "vm" };
  instance: string;
  remoteWorkDir: string;
  project?: string;
}): Promise<NetworkAttachment> {
  const { network } = params.spec;
  if (network === undefined) return NO_NETWORK;
  const attached = await attachNetwork({ ...params, network });
  // A VM has no LXC config: its image's DHCP client asks the bridge's dnsmasq instead.
  return params.spec.instance_type === "vm" ? { ...attached, config: {}, resolver: null } : attached;
}

/** After start, as root: the resolver the bridge's dnsmasq serves. */
export function resolverArgv(resolver: string): string[] {
  return ["sh", "-c", 'printf "nameserver %s\\n" "$1" >/etc/resolv.conf', "pikaci-dns", resolver];
}

export async function releaseLease(transport: Transport, lease: string | null): Promise<void> {
  if (lease === null) return;
  await transport.exec(["rm", "-rf", "--", lease]).catch(() => {});
}
