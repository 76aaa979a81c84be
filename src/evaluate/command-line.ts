import type { Grammar, GrammarFlag, Knowledge } from "../knowledge/knowledge.js";
import { placeOf, type Place } from "../model/places.js";
import type { ProcessInfo } from "../model/process.js";

/** Program text given on the command line, and how the flag that carries it was written. */
export interface InlineCode {
  /** The option as the grammar names it: "-c", "-EncodedCommand", "eval" (deno eval), "program" (awk's first operand). */
  flag: string;
  /** The option as written, up to the flag itself (never the code): "-c", "-Ic", "-enc", "--eval". */
  written: string;
  /** flag: on its own; cluster: inside a cluster of flags (-Ic); glued: the code follows it in the same argument (-c'...'); abbreviated (pwsh -enc); operand: the program is the first operand (awk); subcommand (deno eval). */
  how: "flag" | "cluster" | "glued" | "abbreviated" | "operand" | "subcommand";
  /** The code; several code options (perl -e a -e b) are joined by newlines. */
  text: string;
  /** The code is one of the language's own one-liners (knownCode in the data): what it is. */
  known?: string;
}

/** What a shell, netcat or interpreter was told to run, read from its command line with its grammar. */
export interface CommandLine {
  /** The grammar's family in data/interpreters.json: "python", "bash", "netcat", "busybox" (an applet without a grammar). */
  family: string;
  kind: Grammar["kind"];
  /** The name it runs under, for messages: "python3", "busybox sh", "sh" (busybox through a link). */
  program: string;
  /** For busybox: the applet (argv[0]'s name through a link, else argv[1]). */
  applet?: string;
  code?: InlineCode;
  /** It reads its program from standard input: flag "-" (python3 -), "-s" (sh -s), "-Command -" (pwsh); null when there is no script or code at all. */
  stdinCode?: { flag: string | null };
  interactive?: { flag: string };
  /** Modules or libraries loaded before the program (node -r dotenv/config, ruby -r un, perl -MIO). */
  modules: string[];
  /** A module run as the program (python3 -m http.server). */
  mainModule?: string;
  script?: string;
  /** A program run for the other end of a connection (nc -e /bin/sh, busybox telnetd -l /bin/sh). */
  exec?: { flag: string; text: string };
  /** A built-in server's address (php -S 0.0.0.0:8000). */
  server?: { flag: string; text: string };
  /** A quick server started from the command line alone (python3 -m http.server), with its words from the data. */
  fileServer?: { what: string; risk: string; shown: string };
  /** argv[0] is not a program name and nothing follows it: the process rewrote its title (gunicorn: master, npm); its arguments are gone. */
  retitled?: true;
  /** The arguments could not be read (no cmdline in the capture). */
  unread?: true;
}

const base = (p: string): string => p.slice(Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\")) + 1);

/**
 * A script path that is the standard input or a pipe, not a file: /dev/stdin, /dev/fd/N (what bash's
 * process substitution `python3 <(curl …)` passes), /proc/self/fd/N, /proc/PID/fd/N. A program read
 * from there came through a pipe (`curl … | python3 /dev/stdin`), as with `python3 -`.
 */
const STDIN_PATH = /^\/(dev\/stdin|dev\/fd\/\d+|proc\/(self|thread-self|\d+)\/fd\/\d+)$/;

/**
 * Reads a process's command line with the grammar of its program (data/interpreters.json) and says what
 * it runs: inline code, a program from standard input, a script, modules, a quick server. Null when the
 * program is no shell, netcat or interpreter.
 *
 * The program is found by its executable (the file the kernel runs), else argv[0], else comm: a python
 * started under another argv[0] (`exec -a '[kworker]' python3 -c ...`) is still python. busybox is judged by
 * its applet. The walk follows the program's own rules: flags combined in one cluster (-Ic, -le, -ic),
 * arguments glued to their flag (-c'...', -MIO, -run = -r un), long options with '=', '--' ending the
 * options, and the options ending at the first operand (the script), so `python3 -m app -c x.conf` reads
 * no -c. Pure: it looks at the strings only.
 */
export function readCommandLine(cmdline: readonly string[] | null, exe: string | null, name: string | null, knowledge: Knowledge): CommandLine | null {
  const argv0 = cmdline?.[0];
  // A login shell's argv[0] is "-bash".
  const a0 = argv0 ? base(argv0).replace(/^-(?=.)/, "") : null;
  const byArgv0 = knowledge.grammarOf(a0);
  let g = (exe ? knowledge.grammarOf(base(exe)) : null) ?? byArgv0 ?? knowledge.grammarOf(name);
  if (g === null) return null;
  let program = byArgv0 !== null && a0 !== null ? a0 : exe ? base(exe) : a0 ?? name ?? g.id;
  let start = 1;
  let applet: string | undefined;
  if (g.kind === "multicall") {
    // `busybox sh ...`: the applet is argv[1]; /bin/sh -> busybox: argv[0]'s name (or comm, the link's name, when argv is unknown).
    if (byArgv0 === g) { applet = cmdline?.[1] === undefined ? undefined : base(cmdline[1]); start = 2; }
    else applet = a0 ?? (name !== null && knowledge.grammarOf(name) !== g ? name : undefined);
    const inner = applet === undefined ? null : knowledge.grammar(g.applets?.[applet] ?? "");
    program = applet === undefined ? program : start === 2 ? `${program} ${applet}` : applet;
    if (inner === null) return { family: g.id, kind: g.kind, program, ...(applet === undefined ? {} : { applet }), modules: [] };
    g = inner;
  }
  const out: CommandLine = { family: g.id, kind: g.kind, program, ...(applet === undefined ? {} : { applet }), modules: [] };
  if (cmdline === null || cmdline.length === 0) return { ...out, unread: true };
  // argv[0] names no known program and nothing follows: a rewritten title (setproctitle), not the arguments.
  if (byArgv0 === null && cmdline.length === 1) return { ...out, retitled: true };
  const w = new Walk(g, cmdline, out);
  if (g.style === "words") w.words(start); else w.getopt(start);
  w.finish();
  return out;
}

/** Each process's command line, read once with its program's grammar (the rules run once per process; several ask). */
const commandLines = new WeakMap<ProcessInfo, { knowledge: Knowledge; read: CommandLine | null }>();
export function commandLineOf(p: ProcessInfo, knowledge: Knowledge): CommandLine | null {
  const had = commandLines.get(p);
  if (had !== undefined && had.knowledge === knowledge) return had.read;
  const read = readCommandLine(p.cmdline, p.exe, p.name, knowledge);
  commandLines.set(p, { knowledge, read });
  return read;
}

/**
 * The script file an interpreter or a shell runs, when it lies where no package installs programs (a home
 * directory, a hidden folder, a folder anyone can write to): then the script is the program, and the
 * installed python3 or bash that reads it vouches for nothing (`python3 /dev/shm/x.py`, `bash ~/.cache/u.sh`).
 * Null for a relative path (the folder it is relative to is not known), a script in an ordinary place, a
 * project's own tools (node_modules/.bin), or no script.
 */
export function scriptOf(p: ProcessInfo, knowledge: Knowledge): { path: string; place: Place } | null {
  const path = scriptPath(p, knowledge);
  if (path === null) return null;
  const place = placeOf(path);
  if (place === null || (place === "hidden" && path.includes("/node_modules/.bin/"))) return null;
  return { path, place };
}

/** The script file (an absolute path) an interpreter or a shell runs; null for none, or a relative path. */
export function scriptPath(p: ProcessInfo, knowledge: Knowledge): string | null {
  const cl = commandLineOf(p, knowledge);
  const path = cl?.script;
  return path !== undefined && path.startsWith("/") && (cl?.kind === "interpreter" || cl?.kind === "shell") ? path : null;
}

/** The state of one walk over argv. */
class Walk {
  /** Operands are now only the program's arguments. */
  private argsOnly = false;
  private optionsDone = false;
  private stop = false;
  /** A built-in program (node --test, php --rf) or a subcommand that is not code: no script needed. */
  private builtin = false;
  private subcommand = false;
  private codes = 0;
  /** sh -c: the code is the next operand. */
  private pending: Omit<InlineCode, "text"> | null = null;

  constructor(private readonly g: Grammar, private readonly argv: readonly string[], private readonly out: CommandLine) {}

  getopt(start: number): void {
    const { g, argv } = this;
    for (let i = start; i < argv.length && !this.stop; i++) {
      const a = argv[i] as string;
      if (this.optionsDone || a.length < 2 || !(a[0] === "-" || (a[0] === "+" && g.plusOptions))) {
        if (a === "-" && !this.optionsDone && g.dash === "end") { this.optionsDone = true; continue; }
        this.operand(a);
        continue;
      }
      if (a === "--") {
        this.optionsDone = true;
        if (g.doubleDash === "args") this.argsOnly = true;
        continue;
      }
      if (a.startsWith("--")) { i = this.long(a, i); continue; }
      // A spelling of its own (-c, +o, node's -pe): the whole argument is one option.
      const whole = g.flags.get(a);
      if (whole !== undefined) { i = this.option(whole, a, "flag", null, i); continue; }
      if (g.clusters) { i = this.cluster(a, i); continue; }
      // No clusters: a flag may still have its argument glued (lua -e'...'): -eCODE.
      const head = g.flags.get(a.slice(0, 2));
      if (head !== undefined && (head.arg === "required" || head.arg === "glued" || head.arg === "optional-glued")) {
        this.apply(head, a.slice(2), a.slice(0, 2), "glued");
        if (head.ends) this.stop = true;
        continue;
      }
      this.unknown(a);
    }
  }

  /** A --long option, with its value after '=' or in the next argument. */
  private long(a: string, i: number): number {
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    const opt = this.g.flags.get(name);
    if (opt === undefined) { this.unknown(a); return i; }
    return this.option(opt, name, "flag", eq > 0 ? a.slice(eq + 1) : null, i);
  }

  /** An option written as one whole argument (or --long), its value inline (after '=') or in the next argument(s). */
  private option(opt: GrammarFlag, written: string, how: InlineCode["how"], inline: string | null, i: number): number {
    const { argv } = this;
    let value = inline ?? "";
    switch (opt.arg) {
      case "none": break;
      case "operand": this.pending = { flag: opt.flag, written, how }; return i;
      case "optional-glued": break;
      case "rest": value = [...(inline === null ? [] : [inline]), ...argv.slice(i + 1)].join(" "); i = argv.length; break;
      default:
        if (inline === null) { if (i + 1 >= argv.length) return i; value = argv[++i] as string; }
    }
    this.apply(opt, value, written, how);
    if (opt.ends) this.stop = true;
    return i;
  }

  /** -abc: letters one by one; a letter that takes an argument takes the rest of the cluster or the next argument. */
  private cluster(a: string, i: number): number {
    const { g, argv } = this;
    const sign = a[0] as string;
    for (let j = 1; j < a.length && !this.stop; j++) {
      const opt = g.flags.get(sign + a[j]);
      if (opt === undefined) {
        if (sign === "+" || g.unknownOption === "switch") continue; // +x unsets a switch
        this.unknown(a);
        return i;
      }
      const written = a.slice(0, j + 1);
      const how: InlineCode["how"] = j > 1 ? "cluster" : "flag";
      const rest = a.slice(j + 1);
      switch (opt.arg) {
        case "none": this.apply(opt, "", written, how); break;
        case "operand": this.pending = { flag: opt.flag, written, how }; break;
        case "next":
          if (i + 1 < argv.length) this.apply(opt, argv[++i] as string, written, how);
          break;
        case "required":
          if (rest !== "") { this.apply(opt, rest, written, j > 1 ? "cluster" : "glued"); j = a.length; break; }
          if (i + 1 < argv.length) this.apply(opt, argv[++i] as string, written, how);
          j = a.length;
          break;
        case "glued": this.apply(opt, rest, written, how); j = a.length; break;
        case "optional-glued": {
          const taken = opt.pattern === null ? rest : (opt.pattern.exec(rest)?.[0] ?? "");
          this.apply(opt, taken, written, how);
          j += taken.length;
          break;
        }
        case "rest": this.apply(opt, [...(rest === "" ? [] : [rest]), ...argv.slice(i + 1)].join(" "), written, how); i = argv.length; j = a.length; break;
      }
      if (opt.ends) this.stop = true;
    }
    return i;
  }

  /** "words" programs (pwsh, tclsh, jrunscript): each option is one word, maybe abbreviated, its value the next argument. */
  words(start: number): void {
    const { g, argv } = this;
    const prefixes = g.wordPrefixes ?? ["-"];
    for (let i = start; i < argv.length && !this.stop; i++) {
      const a = argv[i] as string;
      const prefix = this.optionsDone ? undefined : prefixes.find((p) => a.startsWith(p) && a.length > p.length);
      if (prefix === undefined) {
        if (a === "-" && !this.optionsDone && g.dash === "stdin" && !this.hasProgram()) { this.out.stdinCode = { flag: "-" }; this.stop = true; continue; }
        this.operand(a);
        continue;
      }
      const key = g.caseInsensitive ? a.slice(prefix.length).toLowerCase() : a.slice(prefix.length);
      const opt = g.words.find((o) => o.arg === "glued"
        ? key.startsWith(o.word) && key.length > o.word.length
        : key === o.word || (key.length >= o.shortest && key.length < o.word.length && o.word.startsWith(key)));
      if (opt === undefined) {
        if (g.unknownOption === "script") { this.operand(a); this.stop = true; }
        else this.unknown(a);
        continue;
      }
      if (opt.arg === "glued") { this.apply(opt, key.slice(opt.word.length), a, "flag"); continue; }
      i = this.option(opt, a, key === opt.word ? "flag" : "abbreviated", null, i);
    }
  }

  /** An option the grammar does not know: a switch, the end of the options (tclsh -x: no script), or the script (pwsh). */
  private unknown(a: string): void {
    if (this.g.unknownOption === "end") { this.optionsDone = true; this.argsOnly = true; this.stop = true; }
    else if (this.g.unknownOption === "script") { this.operand(a); }
  }

  private hasProgram(): boolean {
    const o = this.out;
    return o.code !== undefined || o.script !== undefined || o.mainModule !== undefined || o.stdinCode !== undefined || o.server !== undefined || this.builtin;
  }

  /** The first argument that is not an option: sh -c's code, a subcommand, awk's program, the script: or only an argument. */
  private operand(a: string): void {
    const { g, out } = this;
    if (this.argsOnly) { if (!g.permute) this.stop = true; return; }
    if (this.pending !== null) {
      this.addCode({ ...this.pending, text: a });
      this.pending = null;
      this.argsOnly = true;
      this.stop = true;
      return;
    }
    if (g.subcommands !== undefined && !this.subcommand && !this.hasProgram()) {
      const sub = g.subcommands[a];
      if (sub !== undefined) {
        this.subcommand = true;
        if (sub === "code") this.pending = { flag: a, written: a, how: "subcommand" };
        else if (sub === "interactive") out.interactive ??= { flag: a };
        else if (sub === "other") { this.builtin = true; this.stop = true; }
        return;
      }
    }
    if (!this.hasProgram() && g.firstOperand !== "args") {
      if (g.firstOperand === "code") this.addCode({ flag: "program", written: "program", how: "operand", text: a });
      else if (a === "-" && g.dash === "stdin") out.stdinCode = { flag: "-" };
      else if (STDIN_PATH.test(a)) out.stdinCode = { flag: a };
      else out.script = a;
    }
    this.argsOnly = true;
    if (!g.permute) this.stop = true;
  }

  private addCode(c: InlineCode): void {
    this.codes++;
    if (this.out.code === undefined) this.out.code = c;
    else this.out.code.text += `\n${c.text}`;
  }

  /** What an option means, by its role in the grammar. */
  private apply(opt: GrammarFlag, value: string, written: string, how: InlineCode["how"]): void {
    const { out } = this;
    const dash = opt.dashIsStdin && value === "-";
    switch (opt.role) {
      case "code": if (dash) out.stdinCode ??= { flag: `${written} -` }; else this.addCode({ flag: opt.flag, written, how, text: value }); break;
      case "script":
        if (dash || STDIN_PATH.test(value)) out.stdinCode ??= { flag: `${written} ${value}` };
        else out.script ??= value;
        break;
      case "main-module": out.mainModule ??= value; break;
      case "module": out.modules.push(value); break;
      case "builtin": this.builtin = true; break;
      case "stdin": out.stdinCode ??= { flag: written }; break;
      case "interactive": out.interactive ??= { flag: written }; break;
      case "exec": out.exec ??= { flag: written, text: value }; break;
      case "server": out.server ??= { flag: opt.flag, text: value }; break;
      case "value": case "switch": break;
    }
  }

  /** With neither script nor code, the program reads standard input; then the quick servers of the data. */
  finish(): void {
    const { g, out } = this;
    if (!this.hasProgram() && this.pending === null && g.noProgram === "stdin") out.stdinCode = { flag: null };
    // Python's multiprocessing starts its workers with -c and a fixed one-liner: known, when it is exactly that.
    if (out.code !== undefined && this.codes === 1 && out.code.text.length <= 4096) {
      const code = out.code;
      const known = g.knownCode.find((k) => k.pattern.test(code.text));
      if (known !== undefined) code.known = known.what;
    }
    if (out.stdinCode !== undefined) return;
    const server = g.quickServers?.find((q) =>
      (q.mainModule !== undefined && out.mainModule === q.mainModule) ||
      (q.module !== undefined && this.codes === 1 && out.modules.includes(q.module) && out.code?.text === q.code) ||
      (q.flag !== undefined && out.code === undefined && out.server?.flag === q.flag));
    if (server === undefined) return;
    const words = [out.program, ...this.argv.slice(1)].join(" ");
    out.fileServer = { what: server.what, risk: server.risk, shown: words.length > 80 ? `${words.slice(0, 79)}\u2026` : words };
  }
}
