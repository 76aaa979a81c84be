import { NONE, type Family, type Socket, type UnlistedBind } from "../model/socket.js";

// Ports nobody lists (portwatch audit --deep), the comparison: which ports the bind probe finds in use
// although no view of the namespace's socket tables lists a socket on them. Pure: the probe and the
// reading of the views are in deep-probe.ts.

/** The protocols the bind probe covers. */
export type ProbeProto = "tcp" | "udp";

/** One (protocol, family) probe of one namespace, as the addon's bindProbe gives it. */
export interface PortProbe {
  proto: ProbeProto;
  family: Family;
  /** Ports in use: port | flags << 16 (flag 1: the wildcard bind failed with EADDRINUSE; 2: the loopback bind did too). */
  inUse: Uint32Array;
}

/** A port the probe found in use and no view lists. */
export interface UnlistedCandidate {
  proto: ProbeProto;
  family: Family;
  port: number;
  /** Which binds failed: the wildcard's and loopback's, or only the wildcard's (the port is held on another address). */
  bind: UnlistedBind;
}

/**
 * The local ports some view lists, per protocol and family, sockets of every state (listeners,
 * connections, TIME_WAIT, connected and unconnected UDP). Ports of every family are kept apart because
 * the probes differ: an IPv6 probe (IPV6_V6ONLY on) meets only IPv6 sockets, while an IPv4 probe also
 * fails on a port an IPv6 socket holds unless that socket is IPV6_V6ONLY, which the tables do not say.
 */
export interface ListedPorts {
  tcp: { 4: Uint8Array; 6: Uint8Array };
  udp: { 4: Uint8Array; 6: Uint8Array };
}

/** An empty set of listed ports (a byte per port and family). */
export function noListedPorts(): ListedPorts {
  return { tcp: { 4: new Uint8Array(65536), 6: new Uint8Array(65536) }, udp: { 4: new Uint8Array(65536), 6: new Uint8Array(65536) } };
}

/** Notes that a view lists a socket of `proto` and `family` on local `port`. */
export function addListed(listed: ListedPorts, proto: ProbeProto, family: Family, port: number): void {
  listed[proto][family][port] = 1;
}

/** Notes the local port of each TCP or UDP socket (raw sockets hold no port). */
export function addListedSockets(listed: ListedPorts, sockets: Iterable<Pick<Socket, "proto" | "family" | "local">>): void {
  for (const s of sockets) if (s.proto !== "raw") addListed(listed, s.proto, s.family, s.local.port);
}

/**
 * Whether some listed socket explains a failed bind of `port`. An IPv4 bind fails on a port held by an
 * IPv4 socket of any address, or by an IPv6 socket that also takes IPv4 (the wildcard `::` without
 * IPV6_V6ONLY; one on a specific IPv6 address also blocks the IPv4 wildcard): the IPv6 list counts too.
 * An IPv6 probe has IPV6_V6ONLY on, so only IPv6 sockets explain it.
 */
export function isListed(listed: ListedPorts, proto: ProbeProto, family: Family, port: number): boolean {
  const byFamily = listed[proto];
  return byFamily[family][port] === 1 || (family === 4 && byFamily[6][port] === 1);
}

/** The ports `probes` found in use that no view in `listed` explains, in protocol, family and port order. */
export function unlistedPorts(probes: readonly PortProbe[], listed: ListedPorts): UnlistedCandidate[] {
  const out: UnlistedCandidate[] = [];
  for (const probe of probes) {
    for (const entry of probe.inUse) {
      const port = entry & 0xffff;
      if (port === 0 || isListed(listed, probe.proto, probe.family, port)) continue;
      out.push({ proto: probe.proto, family: probe.family, port, bind: ((entry >>> 16) & 2) !== 0 ? "wildcard-and-loopback" : "wildcard-only" });
    }
  }
  return out.sort((a, b) => a.proto.localeCompare(b.proto) || a.family - b.family || a.port - b.port);
}

/** Candidates still unlisted in a later round: in `still` (the probe again) and not listed now. */
export function stillUnlisted(candidates: readonly UnlistedCandidate[], again: readonly PortProbe[], listed: ListedPorts): UnlistedCandidate[] {
  const now = new Set(unlistedPorts(again, listed).map(key));
  return candidates.filter((c) => now.has(key(c)));
}

const key = (c: UnlistedCandidate) => `${c.proto}|${c.family}|${c.port}`;

/**
 * The socket a confirmed unlisted port is reported as: owner, inode, uid and state unknown. Its address is
 * the wildcard (the worst case: the probe cannot tell which address holds the port; `unlisted` says which
 * binds failed), its state LISTEN for TCP and UNCONN for UDP (what a hidden port most often is), so it is
 * judged as a listener.
 */
export function unlistedSocket(c: UnlistedCandidate, netns: number | null): Socket {
  return {
    proto: c.proto, family: c.family, local: { address: c.family === 4 ? "0.0.0.0" : "::", port: c.port }, remote: null,
    state: c.proto === "tcp" ? "LISTEN" : "UNCONN", direction: "unknown", exposure: null, netns, inode: null, uid: null,
    service: null, process: null, sharedWith: NONE, verdict: "unknown", reasons: NONE, explanation: null, unlisted: c.bind,
  };
}
