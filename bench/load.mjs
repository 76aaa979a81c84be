// The socket load of the benchmarks: bench/sockets.mjs with N connections (at most 1,500 s), started and
// waited for (180 s at most). Gives what it reported ("ready {...}") and how to stop it (its pid only).
//
// With `{ daemon: true }` (bench/run.mjs) the load runs as a daemon does (`setsid --fork`: its own session,
// its parent gone, so the kernel gives it to pid 1 or the nearest subreaper), and not seven processes below
// pid 1 behind the bench, timeout and the shells that started it. A busy server is started by its init:
// nginx's workers sit two processes below pid 1. The JSON repeats every holder's ancestry in each of its sockets (issue 12), so a load below the
// harness's own chain would measure the harness's depth, not the host's. Without it the load is a child of
// this process (the agent's bench keeps it so: it runs the load in a pid namespace of its own).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const sockets = fileURLToPath(new URL("./sockets.mjs", import.meta.url));

export async function startLoad(n, { daemon = false } = {}) {
  const argv = [process.execPath, sockets, String(n), "--ttl", "1500"];
  // The daemon reports "ready" on stdout and ends by its pid, or when this process is gone (node closes a
  // child's stdin when the child ends, and setsid's own process ends at once).
  const child = daemon
    ? spawn("setsid", ["--fork", ...argv, "--while-pid", String(process.pid)], { stdio: ["ignore", "pipe", "inherit"] })
    : spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
  const info = await new Promise((ok, fail) => {
    let text = "";
    const timer = setTimeout(() => fail(new Error("socket load did not start in 180 s")), 180_000);
    child.stdout.on("data", (d) => { text += d; const m = /ready (.*)\n/.exec(text); if (m) { clearTimeout(timer); ok(JSON.parse(m[1])); } });
    child.stdout.on("end", () => fail(new Error("socket load ended before it was ready")));
    // setsid's own process ends at once (status 0) when it forked; any other end is a failure.
    child.on("exit", (code) => { if (!daemon || code !== 0) fail(new Error(`socket load exited with ${code}`)); });
  });
  child.removeAllListeners("exit");
  const pid = info.pid ?? child.pid;
  return {
    info,
    stop: () => new Promise((ok) => {
      child.stdout.once("end", ok);
      child.stdout.resume();
      child.stdin?.end();
      try { process.kill(pid, "SIGTERM"); } catch { ok(); }
    }),
  };
}
