import { PROTOS, type Family, type Proto } from "./socket.js";

/** A small number per protocol (0–2: two bits), for keys and bit fields: the position in PROTOS. */
export const PROTO_INDEX = Object.freeze(Object.fromEntries(PROTOS.map((p, i) => [p, i]))) as Readonly<Record<Proto, number>>;

/** A port and a protocol as one number (port * 4 + PROTO_INDEX), for maps keyed by both without building a string. */
export function portKey(port: number, proto: Proto): number {
  return port * 4 + PROTO_INDEX[proto];
}

/** The protocol as netstat and ss print it: "tcp", "udp6", "raw6"... (IPv6 adds a 6, IPv4 nothing). */
export function protoLabel(proto: Proto, family: Family): string {
  return family === 6 ? `${proto}6` : proto;
}
