import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Ports the socket holder opened (see socket-holder.mjs). */
export interface HolderPorts {
  pid: number;
  tcpListen: number;
  tcpClient: number;
  udp: number;
  udpConnected: number;
  tcp6Listen?: number;
  udp6?: number;
}

export const HOLDER = fileURLToPath(new URL("./socket-holder.mjs", import.meta.url));

/** Starts the socket holder (optionally through a prefix command such as `ip netns exec NS`), waits for its ports (bounded). */
export async function spawnHolder(prefix: string[] = [], args: string[] = []): Promise<{ child: ChildProcess; ports: HolderPorts; stop: () => void }> {
  const argv = [...prefix, process.execPath, HOLDER, "--ttl", "60", ...args];
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
  const stop = () => {
    child.stdin?.end();
    if (child.exitCode === null && child.pid !== undefined) { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } }
  };
  const ports = await new Promise<HolderPorts>((ok, fail) => {
    let out = "", err = "";
    const timer = setTimeout(() => { stop(); fail(new Error(`socket holder did not start in 10 s: ${err}`)); }, 10_000);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) { clearTimeout(timer); ok(JSON.parse(out.slice(0, out.indexOf("\n"))) as HolderPorts); }
    });
    child.stderr?.on("data", (d: Buffer) => { err += d.toString(); });
    child.once("exit", (code) => { clearTimeout(timer); fail(new Error(`socket holder exited with ${code}: ${err}`)); });
  });
  child.removeAllListeners("exit");
  return { child, ports, stop };
}
