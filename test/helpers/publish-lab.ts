import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROBE, run } from "./firewall-lab.js";

/**
 * Three network namespaces the test creates, as a container host looks from the network: "peer"
 * (eth0, 203.0.113.2/24), which connects; "gw", the host (eth0 203.0.113.1/24 toward peer, ctr0
 * 198.51.100.1/24 toward the container, forwarding on), where the test loads DNAT rules; and "ctr", the
 * container (eth0 198.51.100.2/24, default route through gw), where the published listeners run. Addresses
 * are documentation ranges (RFC 5737) inside the test's own namespaces; nothing touches the host's
 * namespace or firewall. Needs root, iproute2, nftables, python3.
 */
export interface PublishLab {
  gw: string;
  ctr: string;
  peer: string;
  readonly gwAddr: "203.0.113.1";
  readonly ctrAddr: "198.51.100.2";
  /** Runs a command inside a namespace of the lab (fixed argv), `input` on stdin; throws with its stderr when it fails. */
  run(ns: string, argv: readonly string[], input?: string): string;
  /** Starts python3 TCP listeners on 0.0.0.0 in `ns` that greet each connection with "hi"; resolves when they listen. */
  listen(ns: string, ports: readonly number[]): Promise<{ pid: number }>;
  /**
   * Starts, in gw, a program named docker-proxy (a python3 script of that name, run as docker runs its
   * proxy: `docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port H -container-ip C -container-port P`) that
   * listens on H and copies each connection to C:P. Simulated: it is not docker's binary, only its name and argv.
   */
  dockerProxy(hostPort: number, containerPort: number): Promise<{ pid: number }>;
  /** From peer, to gw's address: "open" when the greeting of the listener behind the port arrived, else "refused" or "timeout". */
  probe(ports: readonly number[], timeoutMs?: number): Record<number, "open" | "refused" | "timeout">;
  close(): void;
}

const SERVER = String.raw`
import socket, sys, threading, time
held = []
def greet(s):
    while True:
        c, _ = s.accept(); c.sendall(b"hi"); held.append(c)
for port in [int(x) for x in sys.argv[1].split(",") if x]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(64); held.append(s)
    threading.Thread(target=greet, args=(s,), daemon=True).start()
print("ready", flush=True)
end = time.time() + 900
while time.time() < end:
    time.sleep(0.2)
`;

const PROXY = String.raw`#!/usr/bin/python3
# A stand-in for docker-proxy (test/helpers/publish-lab.ts): its name and argv, and a TCP copy loop.
import socket, sys, threading, time
a = dict(zip(sys.argv[1::2], sys.argv[2::2]))
def pipe(x, y):
    try:
        while True:
            d = x.recv(4096)
            if not d: break
            y.sendall(d)
    except OSError: pass
def serve(c):
    try: u = socket.create_connection((a["-container-ip"], int(a["-container-port"])), timeout=5)
    except OSError: c.close(); return
    threading.Thread(target=pipe, args=(c, u), daemon=True).start(); pipe(u, c)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((a["-host-ip"], int(a["-host-port"]))); s.listen(64)
print("ready", flush=True)
def loop():
    while True:
        c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
threading.Thread(target=loop, daemon=True).start()
end = time.time() + 900
while time.time() < end:
    time.sleep(0.2)
`;

let made = 0;

export function createPublishLab(): PublishLab {
  const id = `${process.pid % 100000}x${made++}`;
  const gw = `pwpbg${id}`, ctr = `pwpbc${id}`, peer = `pwpbp${id}`;
  const v = (n: string) => `pwp${n}${id}`.slice(0, 15);
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "pw-publish-"));
  const close = () => {
    for (const c of children) if (c.pid !== undefined && c.exitCode === null) { try { process.kill(c.pid, "SIGKILL"); } catch { /* gone */ } }
    for (const ns of [gw, ctr, peer]) spawnSync("ip", ["netns", "del", ns], { timeout: 10_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const ns of [gw, ctr, peer]) run(["ip", "netns", "add", ns]);
    // peer eth0 <-> gw eth0; gw ctr0 <-> ctr eth0
    const links: [string, string, string, string, string, string][] = [
      [v("a"), peer, "eth0", v("b"), gw, "eth0"],
      [v("c"), gw, "ctr0", v("d"), ctr, "eth0"],
    ];
    for (const [a, nsA, nameA, b, nsB, nameB] of links) {
      run(["ip", "link", "add", a, "type", "veth", "peer", "name", b]);
      run(["ip", "link", "set", a, "netns", nsA]);
      run(["ip", "link", "set", b, "netns", nsB]);
      run(["ip", "-n", nsA, "link", "set", a, "name", nameA]);
      run(["ip", "-n", nsB, "link", "set", b, "name", nameB]);
    }
    for (const [ns, dev, addr] of [[peer, "eth0", "203.0.113.2/24"], [gw, "eth0", "203.0.113.1/24"], [gw, "ctr0", "198.51.100.1/24"], [ctr, "eth0", "198.51.100.2/24"]] as const) {
      run(["ip", "-n", ns, "addr", "add", addr, "dev", dev]);
      run(["ip", "-n", ns, "link", "set", dev, "up"]);
      run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
    run(["ip", "-n", ctr, "route", "add", "default", "via", "198.51.100.1"]);
    run(["ip", "netns", "exec", gw, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    writeFileSync(join(dir, "docker-proxy"), PROXY);
    chmodSync(join(dir, "docker-proxy"), 0o755);
  } catch (e) { close(); throw e; }

  const start = async (argv: string[]): Promise<{ pid: number }> => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    await new Promise<void>((ok, fail) => {
      let err = "";
      const timer = setTimeout(() => fail(new Error(`${argv.slice(0, 5).join(" ")} did not start: ${err}`)), 10_000);
      child.stderr!.on("data", (d: Buffer) => { err += d; });
      child.stdout!.once("data", () => { clearTimeout(timer); ok(); });
      child.once("exit", (code) => { clearTimeout(timer); fail(new Error(`${argv.slice(0, 5).join(" ")} exited (${code}): ${err}`)); });
    });
    child.removeAllListeners("exit");
    return { pid: child.pid! };
  };

  return {
    gw, ctr, peer, gwAddr: "203.0.113.1", ctrAddr: "198.51.100.2", close,
    run: (ns, argv, input) => run(["ip", "netns", "exec", ns, ...argv], input),
    listen: (ns, ports) => start(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", SERVER, ports.join(",")]),
    dockerProxy: (hostPort, containerPort) => start(["ip", "netns", "exec", gw, join(dir, "docker-proxy"), "-proto", "tcp", "-host-ip", "0.0.0.0",
      "-host-port", String(hostPort), "-container-ip", "198.51.100.2", "-container-port", String(containerPort)]),
    probe(ports, timeoutMs = 1000) {
      const out = run(["ip", "netns", "exec", peer, "/usr/bin/python3", "-c", PROBE, "203.0.113.1", ports.join(","), String(timeoutMs / 1000), "tcp"]);
      return JSON.parse(out) as Record<number, "open" | "refused" | "timeout">;
    },
  };
}
