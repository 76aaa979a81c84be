import type { Knowledge } from "../knowledge/knowledge.js";
import { isLoopback } from "../model/address.js";
import { ownerText, type ProcessInfo } from "../model/process.js";
import type { Hiding } from "../model/hiding.js";
import type { Socket } from "../model/socket.js";
import { shellQuote } from "../model/shell-quote.js";
import { ORPHAN_STATES } from "../model/socket-state.js";
import { flatText } from "../model/words.js";
import { titleProgram } from "./program-names.js";
import { provenanceAdvice } from "./provenance-advice.js";
import { mappingText } from "./published.js";
import { listsText } from "./lists.js";

/** Where the sockets came from, for the "how to find out more" advice. */
export type Origin = "live" | "linux-capture" | "windows-capture" | "bsd-capture";

const EXPOSURE_WORDS = {
  loopback: "here from this computer only",
  "all-interfaces": "here open to every network this computer is on",
  interface: "here on one network address",
  container: "here inside a container or separate network namespace",
} as const;

/** How to learn what a process is, on the machine the sockets came from. Every value in a command is shell-quoted (shellQuote). */
function programAdvice(p: ProcessInfo, origin: Origin): string {
  if (origin === "windows-capture") return p.name ? `look ${p.name} up in Task Manager's Details tab (its Description and publisher)` : `find its program there with 'tasklist /FI "PID eq ${p.pid}" /V'`;
  const known = provenanceAdvice(p);
  if (known !== null) return known;
  if (p.exe) return `look up that program ("dpkg -S ${shellQuote(p.exe)}" or "rpm -qf ${shellQuote(p.exe)}" names its package)`;
  return `find out what it is there with "ps -p ${p.pid} -o user,args" and "ls -l /proc/${p.pid}/exe"`;
}

/** How to find a port's owner on the machine the sockets came from; while processes hide from /proc (live), which one to look at first. */
export function ownerAdvice(port: number, proto: string, origin: Origin, hiding?: Hiding): string {
  const hidden = origin === "live" ? hiding?.processes[0] : undefined;
  if (hidden !== undefined) {
    const look = hidden.how === "mount" && hidden.mount
      ? `undo the mount that hides process ${hidden.pid} ("umount ${hidden.mount.mountPoint}"; "grep ${hidden.mount.mountPoint} /proc/self/mountinfo" shows it)`
      : `read process ${hidden.pid}, which the /proc listing leaves out, by name ("ls -l /proc/${hidden.pid}/fd")`;
    return `lsof and ss -p cannot find its owner while a process hides from /proc: ${look}, then run portwatch again`;
  }
  if (origin === "windows-capture") return `find its owner there with "netstat -abno" (as Administrator) and look for port ${port}`;
  if (origin === "bsd-capture") return `find its owner there with "sudo lsof -i ${proto.toUpperCase()}:${port}" or "sockstat -l | grep ${port}"`;
  return `find its owner with "sudo lsof -i ${proto.toUpperCase()}:${port}" or "sudo ss -tunap 'sport = :${port}'"`;
}

/**
 * A connection its program has closed, which the kernel keeps a little while (TIME_WAIT, or an orphan
 * still saying goodbye): no file descriptor refers to it (inode 0), so no program holds it and lsof cannot
 * find one. Captures without inodes never say so.
 */
export function isFinished(s: Socket): boolean {
  return s.process === null && s.inode === 0 && ORPHAN_STATES.has(s.state);
}

/**
 * What a capture's cut name may be: "; the capture cut the program's name to "avahi-dae" (avahi-daemon
 * starts so)". Empty for a whole name, and for a process title whose program is whole ("sshd: /usr/sbi").
 */
function cutNote(p: ProcessInfo | null, knowledge: Knowledge): string {
  if (p === null || !p.nameCut || p.name === null || titleProgram(p.name) !== null) return "";
  const full = knowledge.namesStartingWith(p.name).filter((n) => n !== p.name);
  const may = full.length === 0 ? "so it may be longer" : full.length <= 3 ? `${full.join(" or ")} starts so` : `${full.length} programs portwatch knows start so`;
  return `; the capture cut the program's name to "${p.name}" (${may})`;
}

/** One plain-words sentence or two about a socket: what the port is, who holds it, and how to learn more when nothing explains it. */
export function explainSocket(s: Socket, knowledge: Knowledge, origin: Origin, hiding?: Hiding): string {
  return explainWhat(s, knowledge, origin, hiding) + cutNote(s.process, knowledge) + listsNote(s);
}

/** "; the other end, 5.101.218.9, is on feodo (malware, dated 2015-10-23)" for a peer on an enabled address list. */
function listsNote(s: Socket): string {
  const r = s.remote;
  if (r === null || r.lists === undefined || r.lists.length === 0) return "";
  return `; ${s.direction === "inbound" ? "it comes from" : "the other end,"} ${r.address}${s.direction === "inbound" ? ", which" : ","} is ${listsText(r.address, r.lists)}`;
}

function explainWhat(s: Socket, knowledge: Knowledge, origin: Origin, hiding: Hiding | undefined): string {
  if (s.unlisted !== undefined) return explainUnlisted(s);
  const p = s.process;
  const owner = p ? ownerText(p) : null;
  const finished = isFinished(s);
  const gone = `; the connection is closed (${s.state}) and the kernel keeps it a little while: no program holds it any more`;
  if (s.direction === "outbound" && s.remote) {
    const entry = knowledge.port(s.remote.port, s.proto);
    // A loopback peer is a program on this same computer, never "the other computer".
    const there = isLoopback(s.remote.address) ? "on this computer" : "of the other computer";
    if (finished) return `A program was connected to port ${s.remote.port} ${there}${entry ? ` (${entry.name})` : ", a port with no well-known service"}${gone}`;
    const base = `${owner ?? "A program"} is connected to port ${s.remote.port} ${there}`;
    return entry ? `${base}: ${entry.what}` : `${base}, a port with no well-known service${owner ? "" : `; ${ownerAdvice(s.local.port, s.proto, origin, hiding)}`}`;
  }
  if (finished) {
    const entry = knowledge.port(s.local.port, s.proto);
    return `A connection to port ${s.local.port}/${s.proto} of this computer${entry ? ` (${entry.name})` : s.service ? ` (${s.service.name} in IANA's registry)` : ""}${gone}`;
  }
  if (s.proto === "raw") {
    return `A raw socket for IP protocol ${s.local.port}${s.local.port === 1 || s.local.port === 58 ? " (ICMP, as ping uses)" : ""}${owner ? `, held by ${owner}` : ""}`;
  }
  const entry = knowledge.port(s.local.port, s.proto);
  const where = s.direction === "listening" && s.exposure ? `, ${EXPOSURE_WORDS[s.exposure]}${reachWords(s)}${publishedWords(s)}` : "";
  if (entry) {
    const usual = entry.owners.filter((o) => o !== "kernel").slice(0, 3);
    const held = owner ? `; held by ${owner}` : usual.length ? `; usually ${usual.join(", ")}` : "";
    return `${entry.what}${held}${where}`;
  }
  const port = `Port ${s.local.port}/${s.proto}${s.service ? ` (${s.service.name} in IANA's registry)` : ""}`;
  if (owner && p) {
    const look = programAdvice(p, origin);
    return `${port} is not a service portwatch knows; ${owner} ${s.direction === "listening" ? "listens on it" : "holds it"}${where}: ${look}`;
  }
  return `${port} is not a service portwatch knows${where}: ${ownerAdvice(s.local.port, s.proto, origin, hiding)}`;
}

/** A port the bind probe finds in use that no view lists (audit --deep): how it was seen, and what to do. */
function explainUnlisted(s: Socket): string {
  const port = s.local.port, proto = s.proto;
  const held = s.unlisted === "wildcard-and-loopback" ? "on every address and on loopback" : "on every address, though not on loopback (so it is held on another address)";
  const scan = proto === "tcp" ? `nmap -sT -p ${port}` : `nmap -sU -p ${port}`;
  return `Binding port ${port}/${proto} (IPv${s.family}) fails ${held}, in four tries, but neither ss's view (netlink) nor netstat's view (/proc/net) lists it, so ` +
    `no program can be named: its owner, address and state are unknown. See for yourself with "sudo ss -${proto === "tcp" ? "t" : "u"}anp 'sport = :${port}'" (it shows nothing). ` +
    `What to do: ask from another computer whether the port answers ("${scan} THIS-HOST"), look for kernel modules that are loaded but not listed ` +
    `(compare /sys/module with lsmod), and check this computer with a rootkit scanner started from trusted media. ` +
    `A program that has bound the port but neither listens nor connects yet is listed by no view on kernels before 6.7: run the deep check again to rule that out`;
}

/** What the firewall adds to where a listener listens: ", but nftables drops it (rule 7 of chain input …)". */
function reachWords(s: Socket): string {
  const r = s.reach;
  if (r === undefined || s.exposure === "loopback") return "";
  switch (r.kind) {
    case "blocked": case "loopback-only": return `, but ${r.detail}`;
    case "open": return `, and ${r.detail}`;
    case "restricted": return `, but ${r.detail}`;
    case "unknown": return `; whether the firewall lets it in is not known: it ${r.detail}`;
  }
}

/** Where a published port comes from or goes to: "; published on host port 0.0.0.0:8080 (DNAT: rule …), and …". */
function publishedWords(s: Socket): string {
  const parts: string[] = [];
  for (const m of s.published ?? []) {
    const reach = m.reach === null ? "" : m.reach.kind === "unknown" ? `; whether the host's firewall lets it through is not known: it ${m.reach.detail}` : `: ${m.reach.detail}`;
    parts.push(`published on ${mappingText(m)}${reach}`);
  }
  for (const m of s.publishes ?? []) parts.push(`its connections go on to ${m.containerAddress}:${m.containerPort} (a container's port), by ${m.via === "docker-proxy" ? "docker-proxy" : `DNAT (${m.rule})`}`);
  return parts.length === 0 ? "" : `; ${parts.join("; ")}`;
}

/**
 * `explainSocket` with the answers shared: sockets that differ only in what the explanation does not
 * mention (the ephemeral port of a client, say) get the same string, made once.
 */
export function explainer(knowledge: Knowledge, origin: Origin, hiding?: Hiding): (s: Socket) => string {
  const cache = new Map<string, string>();
  // The owner by its ProcessInfo object, not its pid: the text names the process, and a capture can give
  // one pid two names (Windows netstat -b: "svchost.exe (RpcSs)" on one row, "svchost.exe (Dnscache)" on another).
  const owners = new WeakMap<ProcessInfo, number>();
  let nextOwner = 1;
  return (s) => {
    // A peer on an address list is named in its explanation: not shared (rare).
    if (s.remote?.lists !== undefined) return explainSocket(s, knowledge, origin);
    const p = s.process;
    let owner = 0;
    if (p !== null) {
      owner = owners.get(p) ?? 0;
      if (owner === 0) { owner = nextOwner++; owners.set(p, owner); }
    }
    const finished = isFinished(s) ? s.state : "";
    const key = s.direction === "outbound" && s.remote
      ? `o/${s.proto}/${owner}/${s.remote.port}/${p === null && !finished ? s.local.port : ""}/${finished}/${isLoopback(s.remote.address) ? "here" : ""}`
      : `${s.direction}/${s.proto}/${owner}/${s.local.port}/${s.exposure ?? ""}/${s.service?.name ?? ""}/${finished}/${s.unlisted ?? ""}/${s.unlisted ? s.family : ""}/${s.reach?.detail ?? ""}/${s.published === undefined && s.publishes === undefined ? "" : JSON.stringify([s.published, s.publishes])}`;
    let text = cache.get(key);
    if (text === undefined) {
      text = flatText(explainSocket(s, knowledge, origin, hiding));
      cache.set(flatText(key), text); // both kept for the look: flat (see flatText)
    }
    return text;
  };
}
