import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAuditor } from "../../src/audit/auditor.js";
import type { Socket } from "../../src/model/socket.js";
import { plant, PLANT_MARK, type Planted } from "../helpers/plant.js";
import { createRemotePeer, type RemotePeer } from "../helpers/remote-peer.js";

// A program in a mount namespace of its own (unshare -m, as `ip netns exec` also makes) over this computer's
// root directory: root there can bind-mount any file over a packaged path, and /proc/<pid>/exe then names the
// packaged path. Here Debian's python3 is mounted over /usr/bin/apt-get (apt is on every Debian system; apt-get
// may connect anywhere) inside a private namespace (nothing leaks to the host's mounts), and talks to a remote
// end at a public-looking address. The nearest benign use: the same python3, unchanged, in its own mount
// namespace. Only planted sockets are asserted about.

const root = process.getuid?.() === 0;
const PY = realpathSync("/usr/bin/python3");
const auditor = createAuditor();

describe("provenance of a program in a mount namespace of its own (live)", { skip: root ? false : "needs root: unshare -m, network namespaces" }, () => {
  let peer: RemotePeer;
  let dir: string;
  const planted: Planted[] = [];
  before(async () => {
    peer = await createRemotePeer({ tcp: [8443], ttlSeconds: 60 });
    dir = mkdtempSync("/opt/pwtest-"); // a script in /var/tmp would be a dropped program (writable-dir-exe)
    writeFileSync(join(dir, "client.py"), [
      "import json, socket, sys, time",
      `c = socket.create_connection((${JSON.stringify(peer.address4)}, 8443), timeout=5)`,
      "print(json.dumps({'port': c.getsockname()[1]}), flush=True)",
      "time.sleep(30)",
    ].join("\n"));
  });
  after(async () => {
    for (const p of planted) await p.stop();
    peer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const connectionOf = async (p: Planted): Promise<Socket> => {
    const look = await auditor.lookAtHost({});
    const s = look.sockets.find((x) => x.remote?.address === peer.address4 && x.local.port === p.ready["port"]);
    assert.ok(s, "the planted connection was not found");
    return s;
  };
  const rules = (s: Socket) => s.reasons.map((r) => `${r.rule}:${r.verdict}`).join(", ");

  it("a program bind-mounted over /usr/bin/apt-get in its own mount namespace gets no apt-get's trust and shows modified", async () => {
    // $0 and $1 are the file to mount and the script: no shell text is made from data
    const p = await plant(["unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c",
      'mount --bind "$0" /usr/bin/apt-get && exec /usr/bin/apt-get "$1" "$2"', PY, join(dir, "client.py"), PLANT_MARK]);
    planted.push(p);
    const s = await connectionOf(p);
    assert.equal(s.process?.exe, "/usr/bin/apt-get");
    assert.equal(s.process?.package?.name, "apt");
    assert.equal(s.process?.package?.verified, false, JSON.stringify(s.process?.package));
    assert.equal(s.verdict, "suspicious", rules(s));
    assert.ok(!s.reasons.some((r) => r.verdict === "expected"), rules(s));
  });

  it("the packaged python3, unchanged, in its own mount namespace shows its package as verified", async () => {
    const p = await plant(["unshare", "-m", "--propagation", "private", "--", PY, join(dir, "client.py"), PLANT_MARK]);
    planted.push(p);
    const s = await connectionOf(p);
    assert.equal(s.process?.exe, PY);
    assert.equal(s.process?.package?.verified, true, JSON.stringify(s.process?.package));
    assert.notEqual(s.verdict, "suspicious", rules(s));
  });
});
