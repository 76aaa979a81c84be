import { holderDetails } from "../model/holders.js";
import type { ProcessInfo, SharedHolder } from "../model/process.js";
import type { Socket } from "../model/socket.js";
import type { Reason } from "../model/verdict.js";
import type { Rule, RuleContext } from "./rules.js";

// Every holder of a socket is judged: the process rules run on `process` and on each `sharedWith` entry,
// and the worst finding wins. A finding about another holder than `process` names it, beside `process`:
// a `sh -i` that shares the connection of the python3 that started it is what a reverse shell through
// subprocess looks like, whichever of the two has the lower pid.

const text = (p: Pick<ProcessInfo, "pid" | "name">): string => `${p.name ?? "?"} (pid ${p.pid})`;

/** Findings about every holder of a socket, each holder's made once per judge. */
export interface HolderFindings {
  of(s: Socket): readonly Reason[];
}

/** Runs `rules` on the holders of sockets, remembering each process's findings (and each holder pair's wording). */
export function holderFindings(rules: readonly Rule[], ctx: RuleContext): HolderFindings {
  const own = new WeakMap<ProcessInfo, readonly Reason[]>();
  const worded = new WeakMap<ProcessInfo, Map<ProcessInfo | null, readonly Reason[]>>();
  const bare = new WeakMap<SharedHolder, ProcessInfo>();

  const findings = (p: ProcessInfo, s: Socket): readonly Reason[] => {
    let found = own.get(p);
    if (found === undefined) {
      const view = s.process === p ? s : { ...s, process: p };
      const list: Reason[] = [];
      for (const rule of rules) { const r = rule.check(view, ctx); if (r) list.push(r); }
      own.set(p, found = list);
    }
    return found;
  };
  // What another holder's findings say on this socket: the same, naming the holder beside `process`.
  const sharedFindings = (p: ProcessInfo, owner: ProcessInfo | null, s: Socket): readonly Reason[] => {
    let byOwner = worded.get(p);
    if (byOwner === undefined) worded.set(p, byOwner = new Map());
    let list = byOwner.get(owner);
    if (list === undefined) {
      const by = owner === null ? `Held by ${text(p)}` : `Held with ${text(owner)} by ${text(p)}`;
      list = findings(p, s).map((r) => ({ rule: r.rule, verdict: r.verdict, message: `${by}: ${r.message.replace(/^It(s?) /, "it$1 ")}` }));
      byOwner.set(owner, list);
    }
    return list;
  };

  return {
    of(s) {
      const owner = s.process;
      const mine = owner === null ? [] : findings(owner, s);
      if (s.sharedWith.length === 0) return mine;
      // A holder that runs the same program as one already judged (a forked server's workers) adds nothing.
      const said = new Set<string>();
      const sameAs = (r: Reason, p: ProcessInfo) => `${r.rule}\u0000${r.verdict}\u0000${p.exe ?? ""}\u0000${p.name ?? ""}`;
      if (owner !== null) for (const r of mine) said.add(sameAs(r, owner));
      let out: Reason[] | null = null;
      for (const h of s.sharedWith) {
        const p = detailsOf(h, bare);
        const theirs = findings(p, s);
        for (let i = 0; i < theirs.length; i++) {
          const k = sameAs(theirs[i] as Reason, p);
          if (said.has(k)) continue;
          said.add(k);
          (out ??= [...mine]).push(sharedFindings(p, owner, s)[i] as Reason);
        }
      }
      return out ?? mine;
    },
  };
}

/** A holder's details: as the collection read them, else a process known only by its pid and name (another tool's output). */
function detailsOf(h: SharedHolder, bare: WeakMap<SharedHolder, ProcessInfo>): ProcessInfo {
  const read = holderDetails(h);
  if (read !== null) return read;
  let p = bare.get(h);
  if (p === undefined) {
    p = { pid: h.pid, name: h.name, exe: null, exeDeleted: false, cmdline: null, uid: null, user: null, containerId: null, netns: null };
    bare.set(h, p);
  }
  return p;
}

// Numbers for the holders' details, so the judgement memo (evaluate.ts) can tell two sets of holders apart.
const ids = new WeakMap<ProcessInfo, number>();
let nextId = 1;

/**
 * The other holders of a connection, as a key for the judgement memo: "" when there are none, else each
 * holder by the identity of its details (or its pid and name, from another tool's output), in order.
 */
export function sharedKey(s: Socket): string {
  if (s.sharedWith.length === 0) return "";
  let key = "";
  for (const h of s.sharedWith) {
    const p = holderDetails(h);
    if (p === null) { key += `+${h.pid}/${JSON.stringify(h.name)}`; continue; }
    let id = ids.get(p);
    if (id === undefined) ids.set(p, id = nextId++);
    key += `+#${id}`;
  }
  return key;
}
