import { spawn, spawnSync, type ChildProcess } from "node:child_process";

/**
 * Two network namespaces the test creates, joined by a veth pair: "srv" (eth0, 10.<k>.0.1/24), where the
 * test loads a firewall and starts listeners, and "peer" (eth0, 10.<k>.0.2/24), which connects to them.
 * Nothing touches the host's own namespace or firewall. Needs root, iproute2, nftables, iptables, python3.
 */
export interface FirewallLab {
  srv: string;
  peer: string;
  srvAddr: string;
  peerAddr: string;
  /** Runs a command inside srv (fixed argv), with `input` on stdin; throws with its stderr when it fails. */
  inSrv(argv: readonly string[], input?: string): string;
  /** Starts python3 listeners in srv (tcp on 0.0.0.0, or on the address given as "addr:port"); resolves when they listen. */
  listen(tcp: readonly (number | string)[], udp?: readonly number[]): Promise<{ pid: number; stop(): void }>;
  /**
   * From peer: which tcp ports of srvAddr (or `address`) take a connection within `timeoutMs`: "open" when the listener
   * accepted it and its greeting arrived (the whole handshake passed the firewall, not just the SYN),
   * "refused" (reset), or "timeout". For udp: "open" when the listener's echo came back.
   */
  probe(ports: readonly number[], timeoutMs?: number, proto?: "tcp" | "udp", address?: string): Record<number, "open" | "refused" | "timeout">;
  /** Runs a command inside peer (fixed argv); throws with its stderr when it fails. */
  inPeer(argv: readonly string[]): string;
  close(): void;
}

const SERVER = String.raw`
import socket, sys, threading, time
ttl = float(sys.argv[1]); held = []
def greet(s):
    while True:
        c, _ = s.accept(); c.sendall(b"hi"); held.append(c)
for spec in [x for x in sys.argv[2].split(",") if x]:
    addr, port = (spec.rsplit(":", 1) if ":" in spec else ("0.0.0.0", spec))
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port))); s.listen(64); held.append(s)
    threading.Thread(target=greet, args=(s,), daemon=True).start()
def echo(u):
    while True:
        d, a = u.recvfrom(512); u.sendto(b"hi", a)
for port in [int(x) for x in sys.argv[3].split(",") if x]:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", port)); held.append(u)
    threading.Thread(target=echo, args=(u,), daemon=True).start()
print("ready", flush=True)
end = time.time() + ttl
while time.time() < end:
    time.sleep(0.2)
`;

/** A peer's connection attempts: argv address, ports (comma-separated), timeout in s, "tcp" or "udp"; prints each port's outcome as JSON. */
export const PROBE = String.raw`
import json, socket, sys, threading
addr = sys.argv[1]; timeout = float(sys.argv[3]); udp = sys.argv[4] == "udp"; out = {}
def one(p):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM); s.settimeout(timeout)
    try:
        s.connect((addr, p))
        if udp: s.send(b"x")
        out[p] = "open" if s.recv(2) == b"hi" else "refused"
    except (ConnectionRefusedError, ConnectionResetError):
        out[p] = "refused"
    except OSError:
        out[p] = "timeout"
    finally:
        s.close()
ts = [threading.Thread(target=one, args=(int(p),)) for p in sys.argv[2].split(",")]
[t.start() for t in ts]; [t.join() for t in ts]
print(json.dumps(out))
`;

/** Runs a command (no shell), bounded at 20 s; its stdout, or an Error with its stderr. */
export function run(argv: readonly string[], input?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 20_000, input });
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

let made = 0;

export function createFirewallLab(): FirewallLab {
  const id = `${process.pid % 100000}x${made++}`;
  const srv = `pwfws${id}`, peer = `pwfwp${id}`;
  const k = 100 + ((process.pid + made * 13) % 150);
  const srvAddr = `10.${k}.0.1`, peerAddr = `10.${k}.0.2`;
  const a = `pwfa${id}`.slice(0, 15), b = `pwfb${id}`.slice(0, 15);
  const children: ChildProcess[] = [];
  const close = () => {
    for (const c of children) if (c.pid !== undefined && c.exitCode === null) { try { process.kill(c.pid, "SIGKILL"); } catch { /* gone */ } }
    spawnSync("ip", ["netns", "del", srv], { timeout: 10_000 });
    spawnSync("ip", ["netns", "del", peer], { timeout: 10_000 });
  };
  try {
    run(["ip", "netns", "add", srv]);
    run(["ip", "netns", "add", peer]);
    run(["ip", "link", "add", a, "type", "veth", "peer", "name", b]);
    run(["ip", "link", "set", a, "netns", srv]);
    run(["ip", "link", "set", b, "netns", peer]);
    for (const [ns, dev, addr] of [[srv, a, srvAddr], [peer, b, peerAddr]] as const) {
      run(["ip", "-n", ns, "link", "set", dev, "name", "eth0"]);
      run(["ip", "-n", ns, "addr", "add", `${addr}/24`, "dev", "eth0"]);
      run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
      run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
  } catch (e) { close(); throw e; }
  return {
    srv, peer, srvAddr, peerAddr, close,
    inSrv: (argv, input) => run(["ip", "netns", "exec", srv, ...argv], input),
    async listen(tcp, udp = []) {
      const child = spawn("ip", ["netns", "exec", srv, "/usr/bin/python3", "-c", SERVER, "900", tcp.join(","), udp.join(",")], { stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      await new Promise<void>((ok, fail) => {
        let err = "";
        const timer = setTimeout(() => fail(new Error(`the listeners did not start: ${err}`)), 10_000);
        child.stderr!.on("data", (d: Buffer) => { err += d; });
        child.stdout!.once("data", () => { clearTimeout(timer); ok(); });
        child.once("exit", (code) => { clearTimeout(timer); fail(new Error(`the listeners exited (${code}): ${err}`)); });
      });
      child.removeAllListeners("exit");
      return { pid: child.pid!, stop: () => { try { process.kill(child.pid!, "SIGKILL"); } catch { /* gone */ } } };
    },
    inPeer: (argv) => run(["ip", "netns", "exec", peer, ...argv]),
    probe(ports, timeoutMs = 400, proto = "tcp", address = srvAddr) {
      const out = run(["ip", "netns", "exec", peer, "/usr/bin/python3", "-c", PROBE, address, ports.join(","), String(timeoutMs / 1000), proto]);
      return JSON.parse(out) as Record<number, "open" | "refused" | "timeout">;
    },
  };
}
