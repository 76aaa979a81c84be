import { isLoopback } from "../model/address.js";
import { homeOf, hiddenComponent, isOwnHome, SYSTEM_DIRS, type Place } from "../model/places.js";
import type { ProcessInfo } from "../model/process.js";
import type { ForeignCode } from "../model/provenance.js";
import type { Reason, Verdict } from "../model/verdict.js";
import { firewallShields } from "./reach.js";
import { scriptOf } from "./command-line.js";
import type { Rule } from "./rules.js";

// Rules on where a holder's code came from (model/provenance.ts, read by collect/provenance.ts): a packaged
// program whose bytes changed, code loaded from places no package installs to, root running a program
// someone else can replace. (A daemon's name on a program that is not that daemon: rules-trust.ts.) They fire only when
// provenance was read (live Linux); captures have none. rules.ts lists them; this file imports only its
// types, so the two load in either order.

const reason = (rule: string, verdict: Verdict, message: string): Reason => ({ rule, verdict, message });

const PLACE_WORDS: Record<Place, string> = {
  memfd: "a file that exists only in memory (memfd), the mark of fileless malware",
  "world-writable": "a folder anyone can write to",
  home: "a home directory",
  hidden: "a hidden folder",
};

/** Where a folder is, in words: "a home directory (/home/alice/)". */
const folderOf = (path: string): string => path.slice(0, path.lastIndexOf("/") + 1) || path;

/** Why one piece of foreign code matters, and how much. */
function judgeCode(code: ForeignCode, p: ProcessInfo): { verdict: Verdict; why: string } {
  if (code.via === "ld.so.preload") return { verdict: "suspicious", why: "forced into every program by /etc/ld.so.preload, where rootkits put themselves" };
  const where = code.place === null ? "" : PLACE_WORDS[code.place];
  if (code.via === "LD_PRELOAD") return { verdict: "suspicious", why: `preloaded by LD_PRELOAD from ${where}` };
  if (code.via === "environment") return { verdict: "suspicious", why: `named by the environment it started with (NODE_OPTIONS, PYTHONPATH, BASH_ENV and the like make an interpreter load it), from ${where}` };
  if (code.place === "home") {
    const home = homeOf(code.path);
    if (home !== null && isOwnHome(home, p) && hiddenComponent(code.path.slice(home.length)) === null) return { verdict: "unknown", why: `from ${p.user ?? "its user"}'s home directory: a module the user installed, or code planted there` };
    if (home !== null && isOwnHome(home, p)) return { verdict: "unknown", why: `from a hidden folder in ${p.user ?? "its user"}'s home directory: a user-installed module (~/.local), or code hidden there` };
    return { verdict: "suspicious", why: `from someone else's home directory (${home ?? "?"})` };
  }
  if (code.place !== null) return { verdict: "suspicious", why: `from ${where}` };
  // A deleted file in an ordinary place: a package upgrade replaced it, unless it was planted outside the system folders.
  return SYSTEM_DIRS.test(code.path)
    ? { verdict: "unknown", why: `replaced on disk since it was loaded: usually a package upgrade (restart ${p.name ?? "the program"} to load the new one)` }
    : { verdict: "suspicious", why: "deleted after it was loaded: malware removes its files to leave no trace" };
}

const worse = (a: Verdict, b: Verdict): Verdict => (a === "suspicious" || b === "suspicious" ? "suspicious" : a === "unknown" || b === "unknown" ? "unknown" : "expected");

/** Root, or "its user" in messages. */
const isRoot = (p: ProcessInfo): boolean => p.uid === 0;


/** Process-level rules on provenance (their reasons go on every socket of the process). */
export const PROVENANCE_PROCESS_RULES: readonly Rule[] = [
  {
    id: "modified-binary",
    check(s) {
      const p = s.process;
      if (p?.package?.verified !== false) return null;
      const pkg = p.package.name;
      return reason("modified-binary", "suspicious", `Its program ${p.exe ?? "?"} does not match the ${pkg} package's checksum: a trojaned binary, or a file changed by hand (check with "dpkg --verify ${pkg}")`);
    },
  },
  {
    id: "injected-library",
    check(s) {
      const p = s.process;
      const foreign = p?.provenance?.foreign ?? [];
      if (p === null || foreign.length === 0) return null;
      let verdict: Verdict = "expected";
      const parts: string[] = [];
      for (const code of foreign) {
        const j = judgeCode(code, p);
        verdict = worse(verdict, j.verdict);
        parts.push(`${code.path}${code.deleted && code.place !== null ? " (deleted)" : ""}, ${j.why}`);
      }
      const list = parts.length > 3 ? `${parts.slice(0, 3).join("; ")}; and ${parts.length - 3} more` : parts.join("; ");
      const tail = verdict === "suspicious" ? ": code slipped into a program that holds a socket is how backdoors and credential stealers hide inside real daemons" : "";
      return reason("injected-library", verdict, `It has code loaded from where no package installs it: ${list}${tail}`);
    },
  },
];

/** Socket-level rules on provenance. */
export const PROVENANCE_SOCKET_RULES: readonly Rule[] = [
  {
    id: "home-exe",
    check(s, ctx) {
      const p = s.process;
      if (p === null || !isRoot(p) || p.exe === null) return null;
      // root's python3 running /home/alice/srv.py: the script is the program, and whoever owns that home can change it
      const script = homeOf(p.exe) === null ? scriptOf(p, ctx.knowledge) : null;
      const program = script !== null && homeOf(script.path) !== null ? script.path : p.exe;
      const home = homeOf(program);
      const writable = program === p.exe ? p.provenance?.writable ?? null : null;
      if (home === null && writable === null) return null;
      const where = home !== null ? `${folderOf(program)}, in a home directory${program !== p.exe ? ` (the script ${program}, run by ${p.name ?? p.exe})` : ""}` : `${p.exe}, which ${writable?.by === "anyone" ? "anyone" : writable?.by} can replace (${writable?.path} is writable)`;
      const beyond = (s.direction === "listening" || s.direction === "inbound") && !isLoopback(s.local.address);
      const shielded = s.direction === "listening" ? firewallShields(s) : null;
      if (beyond && shielded !== null) return reason("home-exe", "unknown", `Root runs this program from ${where}: no package installs there, and whoever can change the file runs code as root; it listens beyond this computer, but ${shielded}`);
      if (beyond) return reason("home-exe", "suspicious", `Root runs this program from ${where}, and it ${s.direction === "listening" ? "listens" : "takes connections"} beyond this computer: whoever can change the file runs code as root that the network can reach`);
      return reason("home-exe", "unknown", `Root runs this program from ${where}: no package installs there, and whoever can change the file runs code as root`);
    },
  },
];
