import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createAuditor } from "../../src/audit/auditor.js";
import { createLooker, type LoopLook } from "../../src/audit/look-loop.js";
import type { ChangeEvent } from "../../src/model/change.js";
import { withNetns } from "../helpers/netns.js";
import { plant, python, type Planted } from "../helpers/plant.js";

// The agent's looker (lean: only identities kept between looks, the owner cache's steady-host refresh, the
// heap trimmed by `watch`) still reports what appears and disappears, in a network namespace the test makes:
// a listener, and an outbound connection to a public address (a connected UDP socket to 1.1.1.1, routed through the
// namespace's lo: no packet is sent). Only the planted identities are asserted on.

const root = process.getuid?.() === 0;

describe("createLooker lean, in a network namespace (live)", () => {
  it("createLooker with lean reports a planted listener and an outbound connection to a public address appearing and disappearing, once each (needs root, as in CI)", { skip: root ? false : "needs root: ip netns add (CI runs as root)" }, async () => {
    let planted: Planted | null = null;
    // A route for the public address (through lo: connect() of a UDP socket needs one; nothing is sent).
    await withNetns("lean", [["route", "add", "default", "dev", "lo"]], async (ns) => {
      try {
        const looker = createLooker(createAuditor(), { lean: true, firewall: false }, () => new Date(), 0);
        const events: ChangeEvent[] = [];
        const look = async (): Promise<LoopLook> => { const l = await looker.next(); events.push(...l.events); return l; };
        await look();
        planted = await plant(python([
          "l = socket.socket(); l.bind(('0.0.0.0', 0)); l.listen(4)",
          "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.connect(('1.1.1.1', 47123))",
          "print(json.dumps({'tcp': l.getsockname()[1]}), flush=True)",
        ], { prefix: ["ip", "netns", "exec", ns] }));
        const port = Number(planted.ready.tcp);
        const listener = (id: string) => id.startsWith(`L|tcp|${port}|`) && id.endsWith("|container");
        const outbound = (id: string) => /^O\|udp\|.*python[\d.]*\|47123$/.test(id);
        const mine = () => events.filter((e) => listener(e.identity) || outbound(e.identity)).map((e) => `${e.type} ${listener(e.identity) ? "listener" : "outbound"}`);
        // Bounded: other test files change the host between looks.
        for (let i = 0; i < 60 && mine().length < 2; i++) await look();
        assert.deepEqual(mine().sort(), ["appeared listener", "appeared outbound"], events.filter((e) => e.identity.includes(String(port)) || e.identity.includes("python")).map((e) => `${e.type} ${e.identity}`).join("\n"));
        const outEvent = events.find((e) => outbound(e.identity));
        assert.deepEqual([outEvent?.socket.direction, outEvent?.socket.remote?.address], ["outbound", "1.1.1.1"]);
        const steady = await look();
        if (steady.look.unchanged) assert.deepEqual(steady.look.sockets, [], "a lean look at an unchanged host holds no sockets");
        await planted.stop();
        planted = null;
        for (let i = 0; i < 60 && mine().length < 4; i++) await look();
        for (let i = 0; i < 3; i++) await look(); // nothing more may come
        assert.deepEqual(mine().sort(), ["appeared listener", "appeared outbound", "disappeared listener", "disappeared outbound"]);
      } finally {
        await planted?.stop();
      }
    });
  });
});
