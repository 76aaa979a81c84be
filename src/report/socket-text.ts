// The text of a socket's parts, shared by every view: the terminal table, the change lines of `watch`,
// `explain`, and the dashboard (src/serve/ui/, bundled for the browser). Pure and free of Node: the
// dashboard's build (scripts/build-ui.mjs) refuses any import outside model/, report/ and serve/ui/.
import type { PortMapping, ReachKind } from "../model/firewall.js";
import { ownerText as ownerWords, type ProcessInfo } from "../model/process.js";
import { protoLabel } from "../model/protocol.js";
import type { Endpoint, Socket } from "../model/socket.js";
import { safeText } from "./safe-text.js";

/** "127.0.0.1:631", "[::1]:631", "host.example:443" (a resolved name), "*:*" for no peer; escaped (a capture's address is its text). */
export function formatEndpoint(e: Endpoint | null): string {
  if (e === null) return "*:*";
  const address = safeText(e.host ? e.host : e.address);
  return e.address.includes(":") && !e.host ? `[${address}]:${e.port}` : `${address}:${e.port}`;
}

/** "tcp", "udp6", "raw6": netstat's Proto column. */
export function protoText(s: Pick<Socket, "proto" | "family">): string {
  return protoLabel(s.proto, s.family);
}

/** "cupsd (pid 812)", the name escaped; "? (pid 812)" when the name is unknown. */
export function processText(p: Pick<ProcessInfo, "pid" | "name">): string {
  return safeText(ownerWords({ ...p, exe: null }, { exe: false }));
}

/** Who started a process: "sshd (pid 800) ← systemd (pid 1)", the names escaped; null when not known (another tool's output). */
export function ancestryText(p: Pick<ProcessInfo, "ancestry">): string | null {
  return p.ancestry?.length ? p.ancestry.map(processText).join(" ← ") : null;
}

/** A process's context in one line: "started by: sshd (pid 800) ← systemd (pid 1); unit ssh.service; terminal pts/0"; null when none is known. */
export function contextText(p: Pick<ProcessInfo, "ancestry" | "unit" | "tty">): string | null {
  const parts: string[] = [];
  const up = ancestryText(p);
  if (up !== null) parts.push(`started by: ${up}`);
  if (p.unit) parts.push(`unit ${safeText(p.unit)}`);
  if (p.tty) parts.push(`terminal ${safeText(p.tty)}`);
  return parts.length > 0 ? parts.join("; ") : null;
}

/** processText of the socket's owner, or "no visible owner". */
export function ownerText(s: Pick<Socket, "process">): string {
  return s.process ? processText(s.process) : "no visible owner";
}

/** The owner's user name (escaped) or uid; null when neither is known. */
export function processUserText(p: Pick<ProcessInfo, "user" | "uid">): string | null {
  return p.user != null ? safeText(p.user) : p.uid != null ? String(p.uid) : null;
}

/**
 * The User column: the owner's user, else the socket's uid, else "-"; empty for a closing connection no
 * program holds (the kernel reports uid 0 for it once its program has let go: no user to show).
 */
export function userText(s: Pick<Socket, "process" | "uid" | "proto" | "state">): string {
  if (s.process === null && closingKind(s) !== null) return "";
  return (s.process ? processUserText(s.process) : null) ?? (s.uid !== null ? String(s.uid) : "-");
}

/** The Service column: the service's name (escaped: /etc/services is a file too), or "-". */
export function serviceText(s: Pick<Socket, "service">): string {
  return s.service === null ? "-" : safeText(s.service.name);
}

/** The Reach column's word for each reach (the table's and the dashboard's): short, "local" for loopback-only. */
export const REACH_WORDS: Readonly<Record<ReachKind, string>> = {
  "loopback-only": "local", blocked: "blocked", restricted: "restricted", open: "open", unknown: "unknown",
};

/** The Reach column: REACH_WORDS of the socket's reach, "" when it has none (a connection, a firewall not read). */
export function reachCell(s: Pick<Socket, "reach">): string {
  return s.reach === undefined ? "" : REACH_WORDS[s.reach.kind];
}

/** A published port in words: "host port 0.0.0.0:8080 -> 172.17.0.2:80 by DNAT (rule 2 of chain DOCKER in table ip nat); open: …", escaped. */
export function mappingLine(m: PortMapping): string {
  const host = m.hostAddress.includes(":") ? `[${m.hostAddress}]:${m.hostPort}` : `${m.hostAddress}:${m.hostPort}`;
  const to = m.containerAddress.includes(":") ? `[${m.containerAddress}]:${m.containerPort}` : `${m.containerAddress}:${m.containerPort}`;
  const by = m.via === "dnat" ? `DNAT (${m.rule})` : m.rule;
  return safeText(`host port ${host} -> ${to} by ${by}${m.reach === null ? "" : `; ${m.reach.kind}: ${m.reach.detail}`}`);
}

/** A reason as the table shows it under its row: "message [rule]", escaped. */
export function reasonText(r: { rule: string; message: string }): string {
  return safeText(`${r.message} [${r.rule}]`);
}

/**
 * A connection no program holds that is only closing, as the table groups it: "finished" (TIME_WAIT)
 * or "closing" (FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK, CLOSING); null for any other socket.
 */
export function closingKind(s: Pick<Socket, "proto" | "state" | "process">): "finished" | "closing" | null {
  if (s.process !== null || s.proto !== "tcp") return null;
  if (s.state === "TIME_WAIT") return "finished";
  return s.state === "FIN_WAIT1" || s.state === "FIN_WAIT2" || s.state === "CLOSE_WAIT" || s.state === "LAST_ACK" || s.state === "CLOSING" ? "closing" : null;
}

/** The end a connection was made to: the remote one for outbound, the local one for inbound. */
export function serverEnd(s: Pick<Socket, "direction" | "local" | "remote">): Endpoint {
  return s.direction === "inbound" ? s.local : (s.remote ?? s.local);
}
