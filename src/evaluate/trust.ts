import type { Knowledge, ProgramGroup } from "../knowledge/knowledge.js";
import type { ProcessInfo } from "../model/process.js";

// Whether a holder *is* the program its name says: what makes knowledge ("sshd owns port 22", "avahi
// opens a random UDP port") apply. A name is chosen by the process itself (prctl, exec -a, argv[0]);
// the executable's path is the kernel's. So on a live host the name only counts together with an
// executable that is installed where programs are installed and is named like the program.

/** Folders where installed programs live (package managers, /opt vendors, snaps, Nix). */
export const SYSTEM_DIRS = /^\/(usr|bin|sbin|lib|lib32|lib64|libx32|opt|snap|nix\/store)\//;
/** Folders anyone can write to: where dropped programs land. */
export const WRITABLE_DIRS = /^\/(tmp|var\/tmp|dev\/shm|run\/shm|var\/crash|run\/lock|var\/lock|dev\/mqueue|var\/spool\/cron\/crontabs|var\/metrics)(\/|$)/;
/** Home directories (root's and users'). */
export const HOME_DIRS = /^\/(root|home\/[^/]+)(\/|$)/;

/** Where an executable lives, in the words of trust. */
export type ExeOrigin = "system" | "home" | "writable" | "hidden" | "fileless" | "deleted" | "other";

/** Classifies an executable's path: fileless (memfd:), deleted, world-writable, hidden (a dot folder), home, system, other. */
export function exeOrigin(p: Pick<ProcessInfo, "exe" | "exeDeleted">): ExeOrigin | null {
  const exe = p.exe;
  if (exe === null) return null;
  if (exe.startsWith("/memfd:") || exe.startsWith("memfd:")) return "fileless";
  if (p.exeDeleted) return "deleted";
  if (WRITABLE_DIRS.test(exe)) return "writable";
  if (/\/\.[^/]/.test(exe)) return "hidden";
  if (HOME_DIRS.test(exe)) return "home";
  if (SYSTEM_DIRS.test(exe)) return "system";
  return "other";
}

/** Plain words for where a program runs from, for messages: "from a home directory (/home/u/.cache/x)". */
export function originWords(p: Pick<ProcessInfo, "exe" | "exeDeleted">): string {
  const origin = exeOrigin(p);
  const exe = p.exe ?? "?";
  switch (origin) {
    case "fileless": return `from memory only (${exe}: fileless, not from any package)`;
    case "deleted": return `from a deleted file (${exe})`;
    case "writable": return `from a folder anyone can write to (${exe})`;
    case "hidden": return `from a hidden folder (${exe})`;
    case "home": return `from a home directory (${exe})`;
    case "system": return `from ${exe}`;
    case "other": return `from ${exe}, outside the folders where programs are installed`;
    default: return "from a program portwatch cannot see";
  }
}

/** Programs that are many programs, by the name they are started under. */
const MULTICALL = ["busybox", "toybox"];

const base = (path: string) => path.slice(path.lastIndexOf("/") + 1);
const bare = (name: string) => name.replace(/[\d.]+$/, "");

/** The names the executable file itself answers to: its file name, without a version suffix. */
function exeNames(exe: string): string[] {
  const b = base(exe);
  return [b, bare(b)];
}

/** Where distributions install scripts that are programs (/usr/sbin/wsdd, /usr/bin/supervisord): not /usr/local or /opt, which no package database vouches for here. */
const PACKAGED_SCRIPT_DIRS = /^\/(usr\/)?(bin|sbin|lib|lib32|lib64|libexec|share|games)\//;

/**
 * Whether `p` is an installed script named like one of `owners`, started through its #! line: the kernel
 * then runs the interpreter (exe /usr/bin/python3.11) with the script's path as argv[1] and names the
 * process after the script (comm "wsdd"); the #! line's one argument, if any, comes first (perl -wT). A packaged daemon written in Python or Perl (wsdd, munin-node,
 * supervisord) is that daemon; python3 renamed wsdd (prctl, exec -a) running another script is not.
 */
function packagedScript(p: ProcessInfo, owners: readonly string[]): boolean {
  // a #! line may carry one argument, which comes before the script: #!/usr/bin/perl -wT
  const script = p.cmdline?.[1]?.startsWith("-") ? p.cmdline[2] : p.cmdline?.[1];
  if (script === undefined || p.name === null || p.name === "" || !PACKAGED_SCRIPT_DIRS.test(script) || script.includes("/../")) return false;
  const file = base(script);
  // comm is the script's file name, cut to 15 characters
  if (file !== p.name && !(p.name.length === 15 && file.startsWith(p.name))) return false;
  return owners.some((o) => exeNames(script).includes(o) || o === p.name);
}

/** How sure portwatch is that a holder is one of `owners`. */
export type Identity =
  /** Its executable is installed and named like one of them (and no package check says it was changed). */
  | { is: true; by: "exe" }
  /** Only its name says so: a capture, or an executable portwatch may not read (no root). */
  | { is: true; by: "name" }
  /** Its name says so, its executable does not: `why` says what is off. */
  | { is: false; why: string }
  /** Not one of them at all. */
  | null;

/**
 * Whether `p` is one of the programs `owners` names. `names` are the names it goes by (comm, exe and
 * argv[0] file names; see rules.ts processNames). On a live host with the executable readable, the
 * executable decides: it must be installed (a system folder, not deleted) and its file name must be an
 * owner's, or start with the process's name (comm is cut to 15 characters: "systemd-resolve" runs
 * /usr/lib/systemd/systemd-resolved); a package check that found it changed (`package.verified === false`)
 * breaks the identity. Without an executable (captures, no root) the name is all there is.
 */
export function identify(p: ProcessInfo | null, names: readonly string[], owners: readonly string[]): Identity {
  if (p === null || !owners.some((o) => names.includes(o))) return null;
  if (p.exe === null) return { is: true, by: "name" };
  const origin = exeOrigin(p);
  const file = exeNames(p.exe);
  // A multi-call binary (busybox) is each of its applets: argv[0] or comm names the one it runs as.
  const multicall = MULTICALL.includes(base(p.exe));
  const named = multicall || owners.some((o) => file.includes(o)) || (p.name !== null && p.name.length >= 4 && base(p.exe).startsWith(p.name) && owners.includes(p.name));
  // A daemon whose installed file an upgrade replaced still is that daemon (deleted-exe says restart it).
  const upgraded = origin === "deleted" && SYSTEM_DIRS.test(p.exe) && !WRITABLE_DIRS.test(p.exe);
  if (!named && origin === "system" && p.package?.verified !== false && packagedScript(p, owners)) return { is: true, by: "exe" };
  if (origin !== "system" && !upgraded) return { is: false, why: `its name says ${owners.find((o) => names.includes(o))}, but it runs ${originWords(p)}` };
  if (!named) return { is: false, why: `its name says ${owners.find((o) => names.includes(o))}, but its program is ${p.exe}` };
  const pkg = p.package;
  if (p.provenance?.database === "dpkg" && pkg === null) return { is: false, why: `${p.exe} comes from no installed package` };
  if (pkg && pkg.verified === false) return { is: false, why: `${p.exe} no longer matches the ${pkg.name} package's checksum` };
  return { is: true, by: "exe" };
}

/**
 * True for an address out on the Internet: not loopback, private (10/8, 172.16/12, 192.168/16), shared
 * (100.64/10), link-local (169.254/16, fe80::/10), unique-local (fc00::/7), multicast or unspecified.
 * The documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32) count as public:
 * they stand for Internet hosts in examples and in portwatch's own tests.
 */
export function isPublicAddress(address: string): boolean {
  const from = address.startsWith("::ffff:") && address.includes(".") ? 7 : 0;
  if (address.includes(".", from)) {
    // The first two octets, read in place (this runs once per connection of a look).
    let x = 0, y = 0, i = from;
    for (; i < address.length && address.charCodeAt(i) !== 46; i++) x = x * 10 + address.charCodeAt(i) - 48;
    for (i++; i < address.length && address.charCodeAt(i) !== 46; i++) y = y * 10 + address.charCodeAt(i) - 48;
    return !(x === 0 || x === 10 || x === 127 || (x === 100 && y >= 64 && y < 128) || (x === 169 && y === 254) ||
      (x === 172 && y >= 16 && y < 32) || (x === 192 && y === 168) || x >= 224);
  }
  const l = address.toLowerCase();
  return !(l === "::" || l === "::1" || /^fe[89ab]/.test(l) || /^f[cd]/.test(l) || l.startsWith("ff"));
}

/** Whether `p` is a real member of a programs.json group: by name, and on a live host by its executable too. */
export function genuine(knowledge: Knowledge, group: ProgramGroup, p: ProcessInfo | null, names: readonly string[]): boolean {
  const members = names.filter((n) => knowledge.is(group, n));
  if (members.length === 0) return false;
  return identify(p, names, members)?.is ?? false;
}
