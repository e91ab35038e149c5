/**
 * Where notifications may go. A target URL is somebody's input, and the server posts to it from
 * inside the network: without a rule, a webhook (or its test button) reaches the cloud's metadata
 * service at 169.254.169.254, loopback services, and private ranges, and tells open ports from
 * closed ones. By default every address a target's host resolves to must be public; the
 * `notifyAllowedTargets` setting lists the addresses, ranges (CIDR) and host names that may be
 * private (a receiver on the same machine or network). The check runs when a target is made and
 * again inside each connection's DNS lookup (so a name cannot resolve to a public address for the
 * check and a private one for the request), and redirects are never followed.
 */
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A target refused by the policy; the message says which address and why. */
export class TargetRefused extends Error {
  override name = 'TargetRefused';
}

/** Ranges that are not the public internet, with what a person calls them. */
const PRIVATE_RANGES: readonly [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'a "this network" address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a carrier-grade NAT address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address (cloud metadata services live there)'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.0.0.0', 24, 'ipv4', 'a protocol-assignment address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['198.18.0.0', 15, 'ipv4', 'a benchmarking address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'the unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['fc00::', 7, 'ipv6', 'a private (unique local) address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
  ['64:ff9b::', 96, 'ipv6', 'a NAT64 address'],
  ['2002::', 16, 'ipv6', 'a 6to4 address'],
];

const RANGE_LISTS = PRIVATE_RANGES.map(([net, prefix, type, kind]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return { list, type, kind };
});

/** The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:7f00:1` is 127.0.0.1), else null. */
function mappedIpv4(address: string): string | null {
  const m = /^::ffff:(?:([0-9.]+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return null;
  if (m[1]) return m[1];
  const hi = parseInt(m[2] as string, 16);
  const lo = parseInt(m[3] as string, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** What kind of non-public address `address` is, or null when it is public. */
export function nonPublicKind(address: string): string | null {
  const v4 = isIP(address) === 6 ? mappedIpv4(address) : address;
  const family = v4 !== null && isIP(v4) === 4 ? 'ipv4' : 'ipv6';
  const ip = family === 'ipv4' ? (v4 as string) : address;
  for (const { list, type, kind } of RANGE_LISTS) if (type === family && list.check(ip, type)) return kind;
  return null;
}

/** Checks one `notifyAllowedTargets` entry: an address, a CIDR range or a host name. Returns an error or null. */
export function allowEntryError(entry: string): string | null {
  const [ip, prefix, extra] = entry.split('/');
  if (extra !== undefined) return `${JSON.stringify(entry)} is not an address, a CIDR range or a host name`;
  if (prefix !== undefined) {
    const family = isIP(ip ?? '');
    const n = Number(prefix);
    if (family === 0 || !/^\d+$/.test(prefix) || n > (family === 4 ? 32 : 128)) return `${JSON.stringify(entry)} is not a CIDR range (e.g. 10.0.0.0/8)`;
    return null;
  }
  if (isIP(entry) !== 0) return null;
  return /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(entry) ? null : `${JSON.stringify(entry)} is not an address, a CIDR range or a host name`;
}

/** The rule for notification targets: public addresses, plus what `allowed` lists. */
export class TargetPolicy {
  private readonly allowedNets = new BlockList();
  private readonly allowedHosts = new Set<string>();

  /** `allowed`: addresses, CIDR ranges and host names that may be private (checked by allowEntryError). */
  constructor(allowed: readonly string[] = []) {
    for (const entry of allowed) {
      const [ip, prefix] = entry.split('/') as [string, string | undefined];
      const family = isIP(ip);
      if (family === 0) this.allowedHosts.add(entry.toLowerCase());
      else if (prefix !== undefined) this.allowedNets.addSubnet(ip, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
      else this.allowedNets.addAddress(ip, family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  /** Throws TargetRefused when `address` (reached through `host`) is neither public nor allowed. */
  assertAddress(host: string, address: string): void {
    if (this.allowedHosts.has(host.toLowerCase())) return;
    const kind = nonPublicKind(address);
    if (kind === null) return;
    const mapped = mappedIpv4(address);
    const family = mapped !== null || isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (this.allowedNets.check(mapped ?? address, family)) return;
    const via = host === address || host === `[${address}]` ? address : `${host} resolves to ${address}`;
    throw new TargetRefused(`${via}, ${kind}: notification targets must be public unless notifyAllowedTargets (AGENTMON_NOTIFY_ALLOWED_TARGETS) lists them`);
  }

  /**
   * Throws TargetRefused when the URL's host is, or resolves to, an address that is neither public
   * nor allowed (every address it resolves to is checked), or does not resolve.
   */
  async assertUrl(url: string): Promise<void> {
    const host = new URL(url).hostname;
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    if (isIP(bare) !== 0) return this.assertAddress(host, bare);
    let addresses: LookupAddress[];
    try {
      addresses = await new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(bare, { all: true }, (err, found) => (err ? reject(err) : resolve(found))));
    } catch (err) {
      throw new TargetRefused(`${bare} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    for (const a of addresses) this.assertAddress(bare, a.address);
  }

  /** A DNS lookup for http.request that refuses hosts resolving to a refused address. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      try {
        for (const a of addresses) this.assertAddress(hostname, a.address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, '', 4);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

/** Per-attempt HTTP timeout of the guarded sender. */
export const SEND_TIMEOUT_MS = 10_000;

/**
 * Posts one JSON body under `policy`: the URL's host is checked, then checked again in the
 * connection's own lookup; a redirect is answered as it is (its status), never followed.
 * Resolves with the HTTP status; rejects on a refused target, a network error or a timeout.
 */
export function guardedPost(policy: TargetPolicy): (url: string, body: unknown, signal?: AbortSignal) => Promise<{ status: number }> {
  return async (url, body, signal) => {
    await policy.assertUrl(url);
    const parsed = new URL(url);
    const request = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
    const data = Buffer.from(JSON.stringify(body), 'utf8');
    const timeout = AbortSignal.timeout(SEND_TIMEOUT_MS);
    return new Promise((resolve, reject) => {
      const req = request(
        parsed,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(data.length), 'user-agent': 'agentmon-notifier' },
          lookup: policy.lookup,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        },
        (res) => {
          // The answer's body is of no interest; reading it frees the connection.
          res.resume();
          resolve({ status: res.statusCode ?? 0 });
        },
      );
      req.on('error', (err) => reject(timeout.aborted ? Object.assign(new Error('timed out'), { name: 'TimeoutError' }) : err));
      req.end(data);
    });
  };
}
