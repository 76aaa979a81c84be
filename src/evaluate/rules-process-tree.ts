import type { ProcessInfo, ProcessRef, TerminalBelow } from "../model/process.js";
import type { Reason } from "../model/verdict.js";
import type { Rule, RuleContext } from "./rules.js";
import { identify } from "./trust.js";

// Rules about where a socket holder sits in the process tree (ProcessInfo.ancestry, terminalsBelow,
// read by collect/process-details.ts on a live host).

const base = (path: string | null | undefined): string | null => (path ? path.slice(path.lastIndexOf("/") + 1) || null : null);

/** The names a process goes by: its name, its executable's file name, argv[0]'s (a login shell's "-bash" as "bash"). */
function namesOf(p: ProcessRef & { cmdline?: string[] | null }): string[] {
  const argv0 = base(p.cmdline?.[0])?.replace(/^-(?=.)/, "");
  return [p.name, base(p.exe), argv0].filter((n): n is string => !!n);
}

const isA = (ctx: RuleContext, group: "shells" | "terminals", p: ProcessRef & { cmdline?: string[] | null }) =>
  namesOf(p).some((n) => ctx.knowledge.is(group, n));

// Editors' remote servers run their terminals from a node or java of their own, named only by its path.
// A path is anyone's to copy to (cp python3 ~/.vscode-server/bin/x/node), so the path alone makes no
// terminal program: see editorServer.
const EDITOR_SERVER = /^((?:\/home\/[^/]+|\/root)\/\.(?:vscode-server|vscode-server-insiders|cursor-server|windsurf-server|vscodium-server)\/).*\/(?:node|code-server|cursor-server)$/;
const JETBRAINS = /^(\/.*\/)jbr\/bin\/java$/;

/** The folder an editor's remote server (or a JetBrains IDE) runs from, when `exe` is its own node or java there; else null. */
function editorRoot(exe: string | null): string | null {
  if (exe === null) return null;
  return EDITOR_SERVER.exec(exe)?.[1] ?? JETBRAINS.exec(exe)?.[1] ?? null;
}

/**
 * Whether `p` is an editor's remote server making terminals: its node under a home's .vscode-server (and
 * the like) or a JetBrains IDE's java, AND, for the socket holder, running the editor's own code (a script
 * under that folder, or the IDE's main class), not code given on the command line (`node -e`, a copy of
 * python3 named node with `-c`); for a process between the holder and the shell (whose arguments are not
 * kept), the holder is that editor's server, by the same test: it holds the socket and its pty host made the terminal.
 */
function editorServer(p: ProcessRef & { cmdline?: string[] | null }, holder: ProcessRef & { cmdline?: string[] | null }): boolean {
  const root = editorRoot(p.exe);
  if (root === null) return false;
  if (p !== holder) return editorRoot(holder.exe) === root && editorServer(holder, holder);
  const args = p.cmdline ?? [];
  if (JETBRAINS.test(p.exe!)) return args.some((a) => /^com\.intellij\.|^com\.jetbrains\./.test(a));
  const script = args.slice(1).find((a) => !a.startsWith("-"));
  // the first operand is the script; options before it (--max-old-space-size) may not carry code
  const before = args.slice(1, script === undefined ? undefined : args.indexOf(script));
  return script !== undefined && script.startsWith(root) && !script.includes("/../") && before.every((a) => !/^(-e|-p|--eval|--print|-r|--require|--import|--loader|--experimental-loader)(=|$)/.test(a));
}

/**
 * A terminal program (knowledge group "terminals"), or an editor's remote server (see editorServer).
 * A name is the process's own choice (exec -a, prctl, a copy's file name), so on a live host the name
 * counts only with an installed executable named like it (trust.ts's identify): python3 run as
 * `exec -a tmux`, or a copy in /var/tmp named screen, makes no terminal for anyone.
 */
function makesTerminals(ctx: RuleContext, p: ProcessRef & Partial<Pick<ProcessInfo, "exeDeleted" | "package" | "provenance" | "cmdline">>, holder: ProcessInfo): boolean {
  if (editorServer(p, holder)) return true;
  const names = namesOf(p);
  const members = names.filter((n) => ctx.knowledge.is("terminals", n));
  if (members.length === 0) return false;
  const id = identify({ ...p, exeDeleted: p.exeDeleted ?? false } as ProcessInfo, names, members);
  return id?.is ?? false;
}

const SHELL_APPLETS = new Set(["sh", "ash", "hush", "bash"]);

/**
 * A shell that reads its commands from its terminal: `-i` (alone or in a cluster: -il), or neither `-c`
 * nor a script to run (bash, sh -l, busybox sh). Unreadable arguments count as interactive: it is on a
 * terminal. (The command-line grammar of shells, on branch grammar, will answer this when merged.)
 */
function interactiveShell(ctx: RuleContext, p: ProcessRef & { cmdline: string[] | null }): boolean {
  if (!isA(ctx, "shells", p)) return false;
  if (p.cmdline === null) return true;
  let args = p.cmdline.slice(1);
  if (base(p.cmdline[0]) === "busybox") {
    if (!SHELL_APPLETS.has(args[0] ?? "")) return false; // another applet (httpd, udhcpc)
    args = args.slice(1);
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") return i + 1 >= args.length;
    if (/^[-+]o$/.test(a) || a === "--rcfile" || a === "--init-file") { i++; continue; } // options that take a word
    if (a.startsWith("--")) continue; // --login, --norc, --posix
    if (/^[-+][A-Za-z]+$/.test(a)) {
      if (a[0] === "-" && a.includes("i")) return true;
      if (a[0] === "-" && (a.includes("c") || a.includes("s"))) return a.includes("s"); // -c runs its argument; -s reads stdin
      continue;
    }
    return false; // an operand: the script to run
  }
  return true;
}

const text = (p: Pick<ProcessRef, "pid" | "name">): string => `${p.name ?? "?"} (pid ${p.pid})`;

/** From the holder down to the shell: "python3 (pid 812) → bash (pid 815)", "… → sh (pid 820) → … → bash (pid 822)" when the shell is deeper. */
function chain(holder: ProcessInfo, t: TerminalBelow, shell: ProcessRef): string {
  const first = t.on[0];
  const steps = [holder, ...t.between].map(text);
  if (first !== undefined && first.pid !== shell.pid) steps.push(text(first), "…");
  steps.push(text(shell));
  return steps.join(" → ");
}

/**
 * reverse-shell: an interactive shell on a pseudo-terminal below a socket holder, where neither the
 * holder nor any process between them makes terminals for people (terminal emulators, sshd, tmux,
 * screen, login, a container runtime's shim, an editor): the pty was made by the holder's own code.
 * That is a reverse shell upgraded to a pty (`python3 -c 'import pty; pty.spawn("/bin/bash")'`,
 * `script -qc /bin/bash /dev/null`) after connecting out, so that the attacker gets job control and
 * can run su, ssh or an editor. A shell you start over ssh, in tmux or in a terminal window has one of
 * those programs above it; a program you run from such a shell has the shell above it, not below.
 */
export const REVERSE_SHELL: Rule = {
  id: "reverse-shell",
  check(s, ctx) {
    const p = s.process;
    if (!Array.isArray(p?.terminalsBelow) || p.terminalsBelow.length === 0 || makesTerminals(ctx, p, p)) return null;
    for (const t of p.terminalsBelow) {
      // Read back from a JSON file, the context is whatever the file says: skip what is not well formed.
      if (!Array.isArray(t?.between) || !Array.isArray(t.on)) continue;
      if (t.between.some((b) => makesTerminals(ctx, b, p))) continue;
      const shell = t.on.find((o) => interactiveShell(ctx, o));
      if (shell === undefined) continue;
      return reason(`It has an interactive shell below it, ${text(shell)} on ${t.tty}, a terminal that no terminal emulator, sshd, tmux, screen, login or container runtime made ` +
        `(${chain(p, t, shell)}): a reverse shell upgraded to a pty looks like this (python3 -c 'import pty; pty.spawn("/bin/bash")' after connecting out)`);
    }
    return null;
  },
};

const reason = (message: string): Reason => ({ rule: "reverse-shell", verdict: "suspicious", message });
