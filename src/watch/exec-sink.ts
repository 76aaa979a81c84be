import { InputError } from "../model/errors.js";
import { spawn } from "node:child_process";
import { TaskPool } from "./pool.js";

/** Options of the --exec sink. */
export interface ExecOptions {
  /** Time one handler (with every process it starts) may take: default 10 s; then its process group is killed. */
  timeoutMs?: number;
  /** Handlers running at once: default 4. */
  concurrency?: number;
  /** Alerts waiting for a free handler: default 100; more are dropped, with a warning. */
  queueLimit?: number;
  onProblem?: (m: string) => void;
}

/** Runs the alert handler; `send` never waits for it (see TaskPool). */
export interface ExecSink {
  /** Queues one alert for the handler; resolves when its run ended (callers need not wait). */
  send(json: string): Promise<void>;
  /** Waits up to `ms` for the running and waiting handlers, then kills the process groups still there; returns how many were cut short. */
  close(ms: number): Promise<number>;
}

/**
 * Runs a program for each alert with the alert's JSON on its standard input — never through a shell:
 * the command line is split on spaces into the program and its arguments. Each run gets its own process
 * group (a new session): when it takes longer than `timeoutMs`, or leaves processes behind that outlive
 * that time, the whole group is killed. Up to `concurrency` runs at once; a failure is reported, not fatal.
 */
export function execSink(command: string, options: ExecOptions = {}): ExecSink {
  const [program, ...args] = command.trim().split(/\s+/);
  if (!program) throw new InputError(`Cannot use --exec "${command}": it names no program (give a program and its arguments, like --exec "/usr/local/bin/notify --urgent")`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pool = new TaskPool({ concurrency: options.concurrency ?? 4, queueLimit: options.queueLimit ?? 100, name: `--exec ${program}`, ...(options.onProblem ? { onProblem: options.onProblem } : {}) });
  const groups = new Set<number>();
  const killGroup = (pgid: number) => { try { process.kill(-pgid, "SIGKILL"); } catch { /* the group is gone */ } groups.delete(pgid); };
  const runOne = (json: string) => new Promise<void>((done) => {
    const child = spawn(program, args, { stdio: ["pipe", "ignore", "pipe"], shell: false, detached: true });
    const pgid = child.pid;
    let err = "";
    let exited = false;
    if (pgid !== undefined) groups.add(pgid);
    // At the deadline the group goes, whether the handler still runs or only what it left behind.
    const timer = setTimeout(() => {
      if (pgid === undefined) return;
      if (!exited) options.onProblem?.(`--exec ${program} took longer than ${timeoutMs} ms: stopped (its whole process group)`);
      else if (groupAlive(pgid)) options.onProblem?.(`--exec ${program} left processes running for longer than ${timeoutMs} ms: stopped its process group`);
      killGroup(pgid);
      if (!exited) finish(null);
    }, timeoutMs);
    timer.unref();
    const finish = (code: number | null) => {
      if (exited) return;
      exited = true;
      // Do not wait for stderr to close: a process the handler left behind may hold it open.
      child.stderr?.destroy();
      if (code !== 0 && code !== null) options.onProblem?.(`--exec ${program} exited with ${code}${err ? `: ${err.trim()}` : ""}`);
      if (pgid === undefined || !groupAlive(pgid)) { clearTimeout(timer); if (pgid !== undefined) groups.delete(pgid); }
      done();
    };
    child.stderr?.on("data", (d: Buffer) => { if (err.length < 500) err += d; });
    child.stderr?.on("error", () => { /* destroyed */ });
    child.on("error", (e) => { clearTimeout(timer); if (pgid !== undefined) groups.delete(pgid); options.onProblem?.(`--exec ${program} could not run: ${e.message}`); exited = true; done(); });
    child.on("exit", (code) => setImmediate(() => finish(code))); // let the last stderr chunk arrive
    child.stdin?.on("error", () => { /* it did not read its input */ });
    child.stdin?.end(json);
  });
  return {
    send: (json) => pool.add(() => runOne(json)),
    async close(ms) {
      const left = await pool.settle(ms);
      pool.cancel();
      for (const pgid of [...groups]) killGroup(pgid);
      return left;
    },
  };
}

/** Whether any process is still in the process group `pgid`. */
function groupAlive(pgid: number): boolean {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}
