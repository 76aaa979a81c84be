import type { ProcessInfo } from "../model/process.js";

const basename = (p: string | null | undefined): string | null => (p ? p.slice(p.lastIndexOf("/") + 1) || null : null);

/** The names a process goes by: comm, executable file name, argv[0] file name (and each without a version suffix: python3.11 → python3 → python). */
// One list per process object, made once.
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

