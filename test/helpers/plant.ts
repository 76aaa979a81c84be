import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Planted processes carry this word in their arguments, so a look can tell them from the rest of the machine. */
export const PLANT_MARK = "portwatch-test-plant";

/** The system's python3 (its own path, not a version manager's shim script). */
export const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/**
 * Python lines that start an interactive bash on a new pseudo-terminal (`pid`, `master`) and wait (at most
 * 10 s) for its prompt: the pty-upgraded shell of the reverse-shell scenarios. Needs os, pty, select,
 * signal and time imported.
 */
export const PY_SHELL_ON_PTY = String.raw`pid, master = pty.fork()
if pid == 0:
    signal.alarm(30)
    os.execv("/bin/bash", ["bash", "--norc", "--noprofile"])
buf, end = b"", time.time() + 10
while b"# " not in buf and b"$ " not in buf and time.time() < end:
    if select.select([master], [], [], 0.5)[0]: buf += os.read(master, 1024)
`;

/** A planted process: its pid, the JSON line it printed when ready, and how to end it. */
export interface Planted {
  child: ChildProcess;
  pid: number;
  ready: Record<string, number>;
  /** Ends it by pid (stdin closed, then SIGKILL) and resolves once it has exited (at most 5 s). */
  stop(): Promise<void>;
}

/**
 * Starts `argv` (a program that opens its sockets, prints one JSON line and then holds them until its
 * stdin closes or its own time limit passes) and resolves with that line. Fails after `timeoutMs`.
 */
export function plant(argv: readonly string[], timeoutMs = 15_000): Promise<Planted> {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise<void>((ok) => { child.once("exit", () => ok()); child.once("error", () => ok()); });
  const stop = async () => {
    child.stdin?.end();
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try { process.kill(child.pid, "SIGKILL"); } catch { /* already gone */ }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((ok) => { timer = setTimeout(ok, 5000); })]);
    clearTimeout(timer);
  };
  return new Promise((ok, fail) => {
    let out = "", err = "", ready = false;
    const timer = setTimeout(() => { void stop(); fail(new Error(`${argv.join(" ")} did not get ready in ${timeoutMs} ms: ${err}`)); }, timeoutMs);
    child.stderr?.on("data", (d: Buffer) => { err += d.toString(); });
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (ready || nl < 0) return;
      ready = true;
      clearTimeout(timer);
      ok({ child, pid: child.pid as number, ready: JSON.parse(out.slice(0, nl)) as Record<string, number>, stop });
    });
    child.once("exit", (code) => {
      if (ready) return;
      clearTimeout(timer);
      fail(new Error(`${argv.join(" ")} exited (${code}) before it was ready: ${err}`));
    });
  });
}

/**
 * A python3 program (`lines`) to plant, ending itself after `ttl` seconds: run with -c when `dir` is null
 * (portwatch calls that a one-line shell), else from the file `dir`/`name`.py (an ordinary program).
 */
export function python(lines: readonly string[], options: { dir?: string | null; name?: string; prefix?: readonly string[]; ttl?: number } = {}): string[] {
  const code = ["import json, signal, socket, sys", `signal.alarm(${options.ttl ?? 60})`, ...lines, "sys.stdin.read()", ""].join("\n");
  const prefix = options.prefix ?? [];
  if (!options.dir) return [...prefix, PYTHON, "-c", code, PLANT_MARK];
  const file = join(options.dir, `${options.name ?? "plant"}.py`);
  writeFileSync(file, code);
  return [...prefix, PYTHON, file, PLANT_MARK];
}

/** A Node program (`code`) to plant, from the file `dir`/`name`.js; it ends itself after `ttl` seconds or when stdin closes. */
export function nodeProgram(code: string, options: { dir: string; name?: string; prefix?: readonly string[]; ttl?: number }): string[] {
  const file = join(options.dir, `${options.name ?? "plant"}.js`);
  writeFileSync(file, `setTimeout(() => process.exit(0), ${(options.ttl ?? 60) * 1000}).unref();process.stdin.on("end",()=>process.exit(0));process.stdin.resume();\n${code}\n`);
  return [...(options.prefix ?? []), process.execPath, file, PLANT_MARK];
}
