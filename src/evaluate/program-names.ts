import type { ProcessInfo } from "../model/process.js";

const basename = (p: string | null | undefined): string | null => (p ? p.slice(p.lastIndexOf("/") + 1) || null : null);

/** What knows the full names a cut name may stand for (Knowledge.namesStartingWith). */
export interface NameCompletion {
  namesStartingWith(prefix: string): readonly string[];
}

/**
 * The program a process title or a cut name stands for: "sshd: /usr/sbin/sshd -D" and "sshd: /usr/sbi"
 * (netstat prints the title, cut) are sshd, and so is "sshd:" cut after its colon; "postgres: checkpointer"
 * is postgres; null when the name is not a title.
 */
export function titleProgram(name: string): string | null {
  // The title may be cut just after its colon ("avahi-daemon:", netstat's column, trimmed).
  const m = /^([\w.+-]+):(?: |$)/.exec(name);
  return m ? (m[1] as string) : null;
}

/**
 * The names a process goes by: comm, executable file name, argv[0] file name (and each without a version
 * suffix: python3.11 → python3 → python), and the program of a process title ("avahi-daemon: running" →
 * avahi-daemon). A name a capture tool cut (`nameCut`: lsof's "avahi-dae") goes by every known name it is
 * the start of, when `known` is given.
 */
// One list per process object, made once (with `known`: knowledge is fixed for a run).
const namesCache = new WeakMap<ProcessInfo, string[]>();
export function processNames(p: ProcessInfo | null, known?: NameCompletion): string[] {
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
    const title = titleProgram(n);
    if (title !== null) out.add(title);
    if (/\.exe$/i.test(n)) out.add(n.slice(0, -4));
    const bare = n.replace(/[\d.]+$/, "");
    if (bare) out.add(bare);
    const minor = n.replace(/\.\d+$/, "");
    if (minor) out.add(minor);
  }
  if (p.nameCut && p.name !== null && titleProgram(p.name) === null) {
    if (known === undefined) return [...out]; // not cached: the full names need knowledge
    for (const n of known.namesStartingWith(p.name)) out.add(n);
  }
  const names = [...out];
  namesCache.set(p, names);
  return names;
}
