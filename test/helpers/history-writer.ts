// Writes looks into a history database as fast as it can, printing "committed N" after each transaction,
// until killed (the crash test kills it with SIGKILL mid-write) or after 20 s.
import { HistoryStore } from "../../src/watch/history-store.js";
import type { Seen } from "../../src/model/change.js";
import type { Socket } from "../../src/model/socket.js";

const path = process.argv[2] as string;
const store = new HistoryStore(path);
const socket = (port: number) => ({ proto: "tcp", family: 4, local: { address: "0.0.0.0", port }, remote: null, state: "LISTEN", direction: "listening", exposure: "all-interfaces", netns: 1, inode: 1, uid: 0, service: null, process: { pid: 1, name: "d", exe: "/usr/sbin/d", exeDeleted: false, cmdline: [], uid: 0, user: "root", containerId: null, netns: 1 }, sharedWith: [], verdict: "unknown", reasons: [], explanation: null }) as Socket;
const deadline = Date.now() + 20_000;
for (let n = 1; Date.now() < deadline; n++) {
  const seen = new Map<string, Seen>();
  seen.set("L|tcp|22|/usr/sbin/d|root|host", { identity: "L|tcp|22|/usr/sbin/d|root|host", verdict: "unknown", socket: socket(22) });
  for (let i = 0; i < 200; i++) { const id = `L|tcp|${1000 + ((n * 200 + i) % 5000)}|/usr/sbin/d|root|host`; seen.set(id, { identity: id, verdict: "unknown", socket: socket(1000 + i) }); }
  store.record(seen, [], new Date().toISOString());
  process.stdout.write(`committed ${n}\n`);
}
store.close();
