import { noPackageCanOwn, placeOf, SYSTEM_DIRS } from "../model/places.js";
import type { ProcessInfo } from "../model/process.js";
import { shellQuote } from "../model/shell-quote.js";

// The "how to learn more" advice about a program, from what its provenance says (explain.ts asks first).
// Every value in a suggested command is shell-quoted (shellQuote): a path can hold "; rm -rf ~".

const folderOf = (path: string): string => path.slice(0, path.lastIndexOf("/") + 1) || path;

/**
 * How to learn what a program is, from its provenance: never "dpkg -S" for a path no package can own
 * (home, /tmp, deleted files, memfd). null when provenance says nothing (the caller's usual advice).
 */
export function provenanceAdvice(p: Pick<ProcessInfo, "pid" | "exe" | "exeDeleted" | "package" | "provenance">): string | null {
  const exe = p.exe;
  if (exe === null) return null;
  if (exe.startsWith("/memfd:")) return `it runs fileless (memfd "${exe.slice(7)}", a file that exists only in memory), not from any package: save it with "cp /proc/${p.pid}/exe /root/pid${p.pid}.bin" and look at "/proc/${p.pid}/maps"`;
  if (p.exeDeleted && !(SYSTEM_DIRS.test(exe) && placeOf(exe) === null)) return `its program file was deleted, so it is not from any package now: save it with "cp /proc/${p.pid}/exe /root/pid${p.pid}.bin" before it exits`;
  if (p.package) {
    const check = p.package.verified === true ? ", and its bytes match the package's checksum" : p.package.verified === false ? `, but its bytes do NOT match the package's checksum ("dpkg --verify ${shellQuote(p.package.name)}")` : "";
    return `it comes from the ${p.package.name} package${p.package.version ? ` (version ${p.package.version})` : ""}${check}`;
  }
  if (noPackageCanOwn(exe)) return `it runs from ${folderOf(exe)}, not from any package: see who put it there with "ls -l ${shellQuote(exe)}"`;
  if (p.package === null && p.provenance?.database === "dpkg") return `no installed package owns ${exe}: see who put it there with "ls -l ${shellQuote(exe)}"`;
  return null;
}
