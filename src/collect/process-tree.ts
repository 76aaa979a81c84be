import { isPty, type StatRecord } from "./parse/proc-pid.js";

// The process tree of one look, from every process's /proc/<pid>/stat (ppid, tty_nr): who started each
// socket holder, and which pseudo-terminals are in use below it. Pure: the table is read by process-details.ts.

/** pid → its stat fields, for every process of the look. */
export type ProcessTable = ReadonlyMap<number, StatRecord>;

/** How far above a terminal's first process a holder is looked for (python3 → script → sh → bash is 3). */
export const TERMINAL_DEPTH = 8;
/** Terminals kept per holder (the nearest first), and processes kept per terminal. */
export const TERMINALS_PER_HOLDER = 8;
export const PROCESSES_PER_TERMINAL = 4;

/**
 * The parent chain of `pid`: its parent, the parent's parent, ... up to pid 1 (or a parent the table does
 * not have); null when `pid` itself is not in the table. A loop (a table read while pids were reused)
 * ends the chain.
 */
export function ancestorPids(table: ProcessTable, pid: number): number[] | null {
  const self = table.get(pid);
  if (self === undefined) return null;
  const chain: number[] = [];
  const seen = new Set<number>([pid]);
  for (let p = self.ppid; p > 0 && !seen.has(p); p = table.get(p)?.ppid ?? 0) {
    if (!table.has(p)) break;
    chain.push(p);
    seen.add(p);
  }
  return chain;
}

/** A pseudo-terminal below a holder, as pids: those between (from the holder's child down) and those on it (its first process first). */
export interface TerminalPids {
  ttyNr: number;
  between: number[];
  on: number[];
}

/**
 * For each holder in `holders`, the pseudo-terminals in use below it: a terminal's first process is one
 * whose controlling terminal is a pty its parent does not have (a terminal emulator's shell, an ssh
 * session's shell, pty.spawn's child). Each first process is followed up at most TERMINAL_DEPTH parents;
 * every holder met on the way gets the terminal, with the processes between them. pid 1 never does: it is
 * above everything. Costs one pass over the table when no process has a pty (most servers).
 */
export function terminalsBelow(table: ProcessTable, holders: ReadonlySet<number>): Map<number, TerminalPids[]> {
  const found = new Map<number, TerminalPids[]>();
  const firsts: StatRecord[] = [];
  for (const r of table.values()) {
    if (isPty(r.ttyNr) && table.get(r.ppid)?.ttyNr !== r.ttyNr) firsts.push(r);
  }
  let children: Map<number, number[]> | null = null;
  for (const first of firsts) {
    const up: number[] = [];
    let on: number[] | null = null;
    for (let p = first.ppid, depth = 0; p > 1 && depth < TERMINAL_DEPTH && !up.includes(p); p = table.get(p)?.ppid ?? 0, depth++) {
      if (holders.has(p)) {
        children ??= childIndex(table);
        on ??= onTerminal(table, children, first);
        let list = found.get(p);
        if (list === undefined) found.set(p, list = []);
        list.push({ ttyNr: first.ttyNr, between: [...up].reverse(), on });
      }
      up.push(p);
    }
  }
  for (const [pid, list] of found) {
    if (list.length > 1) list.sort((a, b) => a.between.length - b.between.length || (a.on[0] as number) - (b.on[0] as number));
    if (list.length > TERMINALS_PER_HOLDER) found.set(pid, list.slice(0, TERMINALS_PER_HOLDER));
  }
  return found;
}

/** The first process on a terminal, then its descendants on the same terminal, breadth first, at most PROCESSES_PER_TERMINAL. */
function onTerminal(table: ProcessTable, children: ReadonlyMap<number, number[]>, first: StatRecord): number[] {
  const on = [first.pid];
  for (let i = 0; i < on.length && on.length < PROCESSES_PER_TERMINAL; i++) {
    for (const c of children.get(on[i] as number) ?? []) {
      if (table.get(c)?.ttyNr === first.ttyNr && !on.includes(c)) on.push(c);
      if (on.length >= PROCESSES_PER_TERMINAL) break;
    }
  }
  return on;
}

function childIndex(table: ProcessTable): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const r of table.values()) {
    const list = children.get(r.ppid);
    if (list === undefined) children.set(r.ppid, [r.pid]); else list.push(r.pid);
  }
  return children;
}
