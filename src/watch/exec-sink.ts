import { InputError } from "../model/errors.js";
import { spawn } from "node:child_process";

/**
 * Runs a program for each alert with the alert's JSON on its standard input — never through a shell:
 * the command line is split on spaces into the program and its arguments. Each run is bounded in time
 * (killed by its pid after `timeoutMs`); a failure is reported, not fatal.
 */
export function execSink(command: string, options: { timeoutMs?: number; onProblem?: (m: string) => void } = {}): (json: string) => Promise<void> {
  const [program, ...args] = command.trim().split(/\s+/);
  if (!program) throw new InputError(`Cannot use --exec "${command}": it names no program (give a program and its arguments, like --exec "/usr/local/bin/notify --urgent")`);
  return (json) => new Promise((done) => {
    const child = spawn(program, args, { stdio: ["pipe", "ignore", "pipe"], shell: false });
    let err = "";
    const timer = setTimeout(() => {
      options.onProblem?.(`--exec ${program} took longer than ${options.timeoutMs ?? 10_000} ms: stopped`);
      if (child.pid !== undefined) { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } }
    }, options.timeoutMs ?? 10_000);
    child.stderr.on("data", (d: Buffer) => { if (err.length < 500) err += d; });
    child.on("error", (e) => { clearTimeout(timer); options.onProblem?.(`--exec ${program} could not run: ${e.message}`); done(); });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0 && code !== null) options.onProblem?.(`--exec ${program} exited with ${code}${err ? `: ${err.trim()}` : ""}`);
      done();
    });
    child.stdin.on("error", () => { /* it did not read its input */ });
    child.stdin.end(json);
  });
}
