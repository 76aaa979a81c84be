import { spawn, spawnSync, type ChildProcess } from "node:child_process";

/**
 * A "remote" host for tests of judgement: a network namespace the test creates, behind a veth pair, at a
 * public-looking documentation address (203.0.113.0/24, 2001:db8::/32), so that nothing the test's
 * programs do counts as traffic inside this computer (loopback peers are "this computer" to portwatch).
 * It runs a small server that accepts TCP on the ports asked for and answers UDP, for at most `ttlSeconds`.
 * Needs root and iproute2 (npm test installs it). Each peer has its own /32 and /128, so test files that
 * run side by side never share an address or a route.
 */
export interface RemotePeer {
  /** The namespace's name (ip netns). */
  ns: string;
  address4: string;
  address6: string;
  /** The address this host has on the link (the local end of connections to the peer). */
  local4: string;
  local6: string;
  /** Removes the server, the veth pair and the namespace. */
  close(): void;
}

const SERVER = String.raw`
import socket, sys, threading, time
ttl = float(sys.argv[1]); tcp = [int(p) for p in sys.argv[2].split(",") if p]; udp = [int(p) for p in sys.argv[3].split(",") if p]
held = []
def serve_tcp(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port)); s.listen(64)
    while True:
        c, _ = s.accept(); held.append(c)
def serve_udp(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    while True:
        d, a = s.recvfrom(65535); s.sendto(d[:512], a)
for p in tcp:
    for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        threading.Thread(target=serve_tcp, args=(fam, addr, p), daemon=True).start()
for p in udp:
    for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        threading.Thread(target=serve_udp, args=(fam, addr, p), daemon=True).start()
time.sleep(0.3); print("ready", flush=True)
end = time.time() + ttl
while time.time() < end and sys.stdin.readable():
    time.sleep(0.2)
`;

function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr || r.error?.message}`);
}

let made = 0;

/** Creates a remote peer that serves `tcp` and `udp` ports (IPv4 and IPv6) for at most `ttlSeconds`. */
export async function createRemotePeer(options: { tcp?: number[]; udp?: number[]; ttlSeconds?: number } = {}): Promise<RemotePeer> {
  const id = `${process.pid % 100000}x${made++}`;
  const ns = `pwpeer${id}`;
  const host = `pwh${id}`.slice(0, 15), inside = `pwn${id}`.slice(0, 15);
  // A host number per peer: 2..253, from the pid and a counter (test files are separate processes).
  const k = 2 + ((process.pid * 7 + made * 31) % 252);
  const v6 = (k).toString(16);
  const peer = { address4: `203.0.113.${k}`, address6: `2001:db8:${v6}::10`, local4: "198.51.100.254", local6: "2001:db8:fe::1" };
  let server: ChildProcess | null = null;
  const close = () => {
    if (server?.pid !== undefined && server.exitCode === null) { try { process.kill(server.pid, "SIGKILL"); } catch { /* gone */ } }
    spawnSync("ip", ["link", "del", host], { timeout: 10_000 });
    spawnSync("ip", ["netns", "del", ns], { timeout: 10_000 });
  };
  try {
    ip("netns", "add", ns);
    ip("link", "add", host, "type", "veth", "peer", "name", inside);
    ip("link", "set", inside, "netns", ns);
    ip("addr", "add", `${peer.local4}/32`, "dev", host);
    ip("-6", "addr", "add", `${peer.local6}/128`, "dev", host, "nodad");
    ip("link", "set", host, "up");
    ip("route", "add", `${peer.address4}/32`, "dev", host, "src", peer.local4);
    ip("-6", "route", "add", `${peer.address6}/128`, "dev", host, "src", peer.local6);
    ip("-n", ns, "link", "set", "lo", "up");
    ip("-n", ns, "addr", "add", `${peer.address4}/32`, "dev", inside);
    ip("-n", ns, "-6", "addr", "add", `${peer.address6}/128`, "dev", inside, "nodad");
    ip("-n", ns, "link", "set", inside, "up");
    ip("-n", ns, "route", "add", `${peer.local4}/32`, "dev", inside);
    ip("-n", ns, "route", "add", "default", "via", peer.local4, "dev", inside, "onlink");
    ip("-n", ns, "-6", "route", "add", `${peer.local6}/128`, "dev", inside);
    ip("-n", ns, "-6", "route", "add", "default", "via", peer.local6, "dev", inside, "onlink");
    const ttl = String(options.ttlSeconds ?? 60);
    server = spawn("ip", ["netns", "exec", ns, "/usr/bin/python3", "-c", SERVER, ttl, (options.tcp ?? []).join(","), (options.udp ?? []).join(",")], { stdio: ["pipe", "pipe", "pipe"] });
    await new Promise<void>((ok, fail) => {
      let err = "";
      const timer = setTimeout(() => fail(new Error(`the remote peer's server did not start: ${err}`)), 10_000);
      server!.stderr!.on("data", (d: Buffer) => { err += d; });
      server!.stdout!.once("data", () => { clearTimeout(timer); ok(); });
      server!.once("exit", (code) => { clearTimeout(timer); fail(new Error(`the remote peer's server exited (${code}): ${err}`)); });
    });
    server.removeAllListeners("exit");
  } catch (e) {
    close();
    throw e;
  }
  return { ns, ...peer, close };
}
