import type { Knowledge, ProgramGroup } from "../knowledge/knowledge.js";
import type { PortEntry } from "../knowledge/schema.js";
import type { ProcessInfo } from "../model/process.js";
import { isLoopback } from "../model/address.js";
import type { Socket } from "../model/socket.js";
import type { Reason } from "../model/verdict.js";
import { REVERSE_SHELL } from "./rules-process-tree.js";

/** What the rules know besides the socket. */
export interface RuleContext {
  knowledge: Knowledge;
  /**
   * How the sockets were collected: "live-root" (every owner visible), "live" (without root: others'
   * owners hidden), or "capture" (another tool's output: owners only as far as it shows them).
   */
  mode: "live-root" | "live" | "capture";
  /** The pid of portwatch itself, on a live host (its own dashboard listens). */
  selfPid?: number | null;
}

/** A built-in rule: an id, and a check that returns its reasons for one socket. */
export interface Rule {
  id: string;
  check(s: Socket, ctx: RuleContext): Reason | null;
}

const basename = (p: string | null | undefined): string | null => (p ? p.slice(p.lastIndexOf("/") + 1) || null : null);

/** The names a process goes by: comm, executable file name, argv[0] file name (and each without a version suffix: python3.11 → python3 → python). */
const namesCache = new WeakMap<ProcessInfo, string[]>();
export function processNames(p: ProcessInfo | null): string[] {
  if (p === null) return [];
  const cached = namesCache.get(p);
  if (cached) return cached;
  const out = new Set<string>();
  for (const raw of [p.name, basename(p.exe), basename(p.cmdline?.[0])]) {
    if (!raw) continue;
    // Windows captures name "svchost.exe (RpcSs)": match "svchost.exe" and "svchost" too.
    const n = raw.replace(/ \([^)]*\)$/, "");
    out.add(raw);
    out.add(n);
    if (/\.exe$/i.test(n)) out.add(n.slice(0, -4));
    const bare = n.replace(/[\d.]+$/, "");
    if (bare) out.add(bare);
    const minor = n.replace(/\.\d+$/, "");
    if (minor) out.add(minor);
  }
  const names = [...out];
  namesCache.set(p, names);
  return names;
}

function inGroup(ctx: RuleContext, group: ProgramGroup, p: ProcessInfo | null): boolean {
  return processNames(p).some((n) => ctx.knowledge.is(group, n));
}

function ownedBy(owners: readonly string[], p: ProcessInfo | null): boolean {
  const names = processNames(p);
  return owners.some((o) => names.includes(o));
}

/** The port that matters for judging the socket: the local one for listeners and inbound, the remote one for outbound. */
export function judgedPort(s: Socket): number | null {
  if (s.direction === "outbound") return s.remote?.port ?? null;
  return s.local.port;
}

const who = (p: ProcessInfo | null): string => (p === null ? "an unknown program" : `${p.name ?? "?"} (pid ${p.pid}${p.exe ? `, ${p.exe}` : ""})`);
const portText = (port: number, proto: string) => `${port}/${proto}`;

const SYSTEM_DIRS = /^\/(usr|bin|sbin|lib|lib32|lib64|libx32|opt|snap|nix\/store)\//;
const WRITABLE_DIRS = /^\/(tmp|var\/tmp|dev\/shm|run\/shm|var\/crash|run\/lock|var\/lock|dev\/mqueue|var\/spool\/cron\/crontabs|var\/metrics)(\/|$)/;
const CLOSING = new Set(["TIME_WAIT", "CLOSE_WAIT", "FIN_WAIT1", "FIN_WAIT2", "LAST_ACK", "CLOSING", "CLOSE"]);

/**
 * A closing connection inside this computer that no process holds any more (TIME_WAIT and friends).
 * Once its listener is gone, which end was the server cannot be told, so port lists say nothing about it.
 */
function leftover(s: Socket): boolean {
  return s.process === null && CLOSING.has(s.state) && s.remote !== null && isLoopback(s.remote.address) && isLoopback(s.local.address);
}

const reason = (rule: string, verdict: Reason["verdict"], message: string): Reason => ({ rule, verdict, message });

/** Process-level findings: they go on every socket of the process. */
export const PROCESS_RULES: readonly Rule[] = [
  {
    id: "deleted-exe",
    check(s) {
      const p = s.process;
      if (!p?.exeDeleted) return null;
      if (p.exe && SYSTEM_DIRS.test(p.exe) && !WRITABLE_DIRS.test(p.exe)) {
        return reason("deleted-exe", "unknown", `Its program file ${p.exe} was replaced or removed after it started: usually a package upgrade (restart ${p.name ?? "it"}), but check if you did not upgrade`);
      }
      return reason("deleted-exe", "suspicious", `It runs from a deleted file (${p.exe ?? "?"}): malware often deletes its own program after starting, to leave no trace`);
    },
  },
  {
    id: "writable-dir-exe",
    check(s) {
      const exe = s.process?.exe;
      if (!exe || !WRITABLE_DIRS.test(exe)) return null;
      return reason("writable-dir-exe", "suspicious", `Its program runs from ${exe.slice(0, exe.lastIndexOf("/") + 1) || exe}, a folder anyone can write to: real services are installed elsewhere, dropped malware lands here`);
    },
  },
  {
    id: "kernel-thread-name",
    check(s, ctx) {
      const p = s.process;
      if (p === null) return null;
      const argv0 = p.cmdline?.[0] ?? null;
      const fake = ctx.knowledge.looksLikeKernelThread(p.name) || (argv0 !== null && /^\[.*\]$/.test(argv0));
      // Kernel threads have no executable and no arguments; a named "kworker" that has them is disguised.
      if (!fake || (p.exe === null && (p.cmdline === null || p.cmdline.length === 0))) return null;
      return reason("kernel-thread-name", "suspicious", `It calls itself "${argv0 && /^\[/.test(argv0) ? argv0 : p.name}" like a kernel thread, but runs a program (${p.exe ?? argv0}): a common disguise`);
    },
  },
  {
    id: "shell-socket",
    check(s, ctx) {
      const p = s.process;
      if (p === null) return null;
      if (inGroup(ctx, "shells", p) || inGroup(ctx, "netcats", p)) {
        return reason("shell-socket", "suspicious", `${who(p)} is a shell or netcat-like tool holding a network socket: that is what a reverse or bind shell looks like`);
      }
      const args = p.cmdline ?? [];
      if (inGroup(ctx, "interpreters", p) && args.slice(1).some((a) => a === "-c" || a === "-e" || a === "-r" || a === "--eval")) {
        return reason("shell-socket", "suspicious", `${who(p)} runs code given on its command line (${args.slice(1).find((a) => a.startsWith("-"))}) and holds a network socket: the shape of a one-line reverse shell`);
      }
      return null;
    },
  },
  REVERSE_SHELL,
];

/** Socket-level rules. */
export const SOCKET_RULES: readonly Rule[] = [
  {
    id: "irc-outbound",
    check(s, ctx) {
      if (s.direction !== "outbound" || s.remote === null || s.proto !== "tcp" || leftover(s)) return null;
      const hit = ctx.knowledge.indicators(s.remote.port, "tcp").find((h) => h.list === "irc");
      if (!hit) return null;
      if (inGroup(ctx, "ircClients", s.process)) return null;
      if (hit.entry.collisions?.some((c) => ownedBy(c.owners, s.process))) return null;
      return reason("irc-outbound", "suspicious", `Connected to an IRC server port (${s.remote.port}) by ${s.process === null ? "an unknown program" : `${s.process.name ?? "?"}, which is not an IRC client`}: ${hit.why}`);
    },
  },
  {
    id: "backdoor-port",
    check(s, ctx) {
      const port = judgedPort(s);
      if (port === null || s.proto === "raw" || leftover(s)) return null;
      const hit = ctx.knowledge.indicators(port, s.proto).find((h) => h.list === "backdoor");
      if (!hit) return null;
      const collisions = hit.entry.collisions ?? [];
      if (collisions.some((c) => ownedBy(c.owners, s.process))) return null;
      if (s.direction === "outbound" && hit.entry.outboundIsNormal) return null; // a client of the legitimate service
      const where = s.direction === "outbound" ? `Connected to port ${port}` : `Port ${port}`;
      if (collisions.length > 0 && s.process === null) {
        return reason("backdoor-port", "unknown", `${where} is a known ${hit.entry.name} port, but also ${collisions.map((c) => c.note).join("; ")}: check which program holds it`);
      }
      return reason("backdoor-port", "suspicious", `${where}/${s.proto} is the default port of ${hit.entry.name} (${hit.entry.source}), held by ${who(s.process)}`);
    },
  },
  {
    id: "mining-pool",
    check(s, ctx) {
      if (s.direction !== "outbound" || s.remote === null || s.proto !== "tcp" || leftover(s)) return null;
      const hit = ctx.knowledge.indicators(s.remote.port, "tcp").find((h) => h.list === "miner");
      if (!hit) return null;
      if (inGroup(ctx, "browsers", s.process) || hit.entry.collisions?.some((c) => ownedBy(c.owners, s.process))) return null;
      if (s.process === null) return reason("mining-pool", "unknown", `Connected to port ${s.remote.port}, a common mining-pool port, by a program portwatch cannot see: find its owner`);
      return reason("mining-pool", "suspicious", `Connected to port ${s.remote.port}, a common cryptocurrency-mining pool port (${hit.entry.source}), by ${who(s.process)}: ${hit.why}`);
    },
  },
  {
    id: "cups-browsed",
    check(s) {
      if (s.proto !== "udp" || s.direction !== "listening" || s.local.port !== 631 || s.exposure === "loopback") return null;
      return reason("cups-browsed", "suspicious", "UDP 631 open to the network is cups-browsed's legacy printer browsing, the entry point of the CVE-2024-47176 remote-code chain: remove cups-browsed or set BrowseRemoteProtocols none");
    },
  },
  {
    id: "exposed-service",
    check(s, ctx) {
      if (s.direction !== "listening" || (s.exposure !== "all-interfaces" && s.exposure !== "interface")) return null;
      const entry = ctx.knowledge.port(s.local.port, s.proto);
      if (!entry || entry.scope !== "loopback") return null;
      if (entry.owners.length > 0 && s.process !== null && !ownedBy(entry.owners, s.process)) return null; // not that service: unexpected-owner says so
      const where = s.exposure === "all-interfaces" ? "on every network interface" : `on ${s.local.address}`;
      return reason("exposed-service", "unknown", `${entry.name} (${portText(s.local.port, s.proto)}) should stay on this computer but listens ${where}${entry.ifExposed ? `: ${entry.ifExposed}` : ""}`);
    },
  },
  {
    id: "unexpected-owner",
    check(s, ctx) {
      if ((s.direction !== "listening" && s.direction !== "inbound") || processNames(s.process).length === 0) return null;
      const entry = ctx.knowledge.port(s.local.port, s.proto);
      if (!entry || entry.owners.length === 0 || ownedBy(entry.owners, s.process)) return null;
      if (s.local.port >= 1024 && entry.normal === "none") return null; // a high port anyone may pick: only named services are checked
      return reason("unexpected-owner", "unknown", `Port ${portText(s.local.port, s.proto)} (${entry.name}) is normally held by ${entry.owners.slice(0, 3).join(", ")}, but here by ${who(s.process)}`);
    },
  },
  {
    id: "unowned-listener",
    check(s, ctx) {
      if (ctx.mode !== "live-root" || s.direction !== "listening" || s.process !== null || !s.inode) return null;
      const entry = ctx.knowledge.port(s.local.port, s.proto);
      if (entry?.owners.includes("kernel")) return null;
      return reason("unowned-listener", "unknown", "No process that portwatch can see holds this listener although it runs as root: a kernel service, a process in another PID namespace, or one hidden from /proc (rootkits hide this way)");
    },
  },
  {
    id: "hidden-port",
    check(s) {
      if (s.hiddenFrom === undefined) return null;
      const port = portText(s.local.port, s.proto);
      return s.hiddenFrom === "proc"
        ? reason("hidden-port", "suspicious", `The kernel lists this listener (${port}) when asked through netlink, as ss asks, but leaves it out of /proc/net, which netstat reads, in three reads in a row: rootkits hide their ports this way`)
        : reason("hidden-port", "suspicious", `This listener (${port}) is in /proc/net, which netstat reads, but the kernel leaves it out when asked through netlink, as ss asks, in three reads in a row: a rootkit may be hiding it from ss`);
    },
  },
  // --- what makes a socket expected ---
  {
    id: "portwatch",
    check(s, ctx) {
      if (ctx.mode === "capture" || !ctx.selfPid || s.process?.pid !== ctx.selfPid) return null;
      return reason("portwatch", "expected", "portwatch itself (its dashboard, or a lookup it is making)");
    },
  },
  {
    id: "known-service",
    check(s, ctx) {
      if (s.direction !== "listening" && s.direction !== "inbound") return null;
      const entry = ctx.knowledge.port(s.local.port, s.proto);
      if (!entry || !exposureFits(entry, s)) return null;
      if (processNames(s.process).length > 0) {
        if (!ownedBy(entry.owners, s.process)) return null;
        return reason("known-service", "expected", `${s.process?.name} is the usual owner of ${portText(s.local.port, s.proto)} (${entry.name})`);
      }
      if (entry.normal === "none" || ctx.mode === "live-root") return null;
      return reason("known-service", "expected", `${portText(s.local.port, s.proto)} (${entry.name}) is part of a default ${entry.normal === "both" ? "desktop and server" : entry.normal} install${ctx.mode === "live" ? " (its owner could not be checked without root)" : ""}`);
    },
  },
  {
    id: "random-udp",
    check(s, ctx) {
      if (s.proto !== "udp" || s.direction !== "listening" || s.local.port < 1024 || !inGroup(ctx, "randomUdp", s.process)) return null;
      return reason("random-udp", "expected", `${s.process?.name} normally opens a random UDP port like this one for its own queries`);
    },
  },
  {
    id: "usual-outbound",
    check(s, ctx) {
      if (s.direction !== "outbound" || s.remote === null) return null;
      const port = s.remote.port;
      const common = s.proto === "udp" ? [53, 123, 443, 853, 3478, 19302] : [80, 443, 53, 853];
      if (common.includes(port)) {
        const what = port === 53 || port === 853 ? "a DNS lookup" : port === 123 ? "a clock sync (NTP)" : port === 3478 || port === 19302 ? "a video-call (STUN) connection" : "an ordinary web connection";
        return reason("usual-outbound", "expected", `${what[0]?.toUpperCase()}${what.slice(1)} to port ${port}${s.process ? ` by ${s.process.name}` : ""}`);
      }
      if (inGroup(ctx, "browsers", s.process) || inGroup(ctx, "outboundAny", s.process)) {
        return reason("usual-outbound", "expected", `${s.process?.name} connects to many ports as part of its job`);
      }
      return null;
    },
  },
  {
    id: "local-traffic",
    check(s) {
      if (s.remote === null || !isLoopback(s.local.address) || !isLoopback(s.remote.address)) return null;
      if (s.direction === "inbound" || s.direction === "listening") return null;
      if (!CLOSING.has(s.state) || s.process !== null) return null;
      return reason("local-traffic", "expected", "A finished connection between two programs on this computer (the kernel keeps it a minute)");
    },
  },
];

function exposureFits(entry: PortEntry, s: Socket): boolean {
  if (s.direction !== "listening" || entry.scope !== "loopback") return true;
  return s.exposure === "loopback" || s.exposure === "container";
}
