// The socket load of the benchmarks: bench/sockets.mjs with N connections (at most 1,500 s), started and
// waited for (180 s at most). Gives what it reported ("ready {...}") and how to stop it (its pid only).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const sockets = fileURLToPath(new URL("./sockets.mjs", import.meta.url));

export async function startLoad(n) {
  const child = spawn(process.execPath, [sockets, String(n), "--ttl", "1500"], { stdio: ["pipe", "pipe", "inherit"] });
  const info = await new Promise((ok, fail) => {
    let text = "";
    const timer = setTimeout(() => fail(new Error("socket load did not start in 180 s")), 180_000);
    child.stdout.on("data", (d) => { text += d; const m = /ready (.*)\n/.exec(text); if (m) { clearTimeout(timer); ok(JSON.parse(m[1])); } });
    child.on("exit", (code) => fail(new Error(`socket load exited with ${code}`)));
  });
  child.removeAllListeners("exit");
  return { info, stop: () => new Promise((ok) => { child.once("exit", ok); child.stdin.end(); try { process.kill(child.pid, "SIGTERM"); } catch { ok(); } }) };
}
