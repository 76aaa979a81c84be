import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Auditor, HostOptions, LookSession } from "../../src/audit/auditor.js";
import { createLooker } from "../../src/audit/look-loop.js";
import type { Judged } from "../../src/audit/pipeline.js";
import type { Socket } from "../../src/model/socket.js";

const listener = (port: number): Socket => ({
  proto: "tcp", family: 4, local: { address: "0.0.0.0", port }, remote: null, state: "LISTEN", direction: "listening", exposure: "all-interfaces",
  netns: 1, inode: port, uid: 0, service: null, process: null, sharedWith: [], verdict: "unknown", reasons: [], explanation: null,
});

/** An auditor whose looks are these, in turn; `null` is an unchanged host (sockets: [] as in a lean session). */
function scripted(looks: (Socket[] | null)[]): Auditor {
  let i = 0;
  return {
    lookAtHost: async () => {
      const look = looks[i++] ?? null;
      return { sockets: (look ?? []) as unknown as Judged, hostname: "h", hostNetns: 1, warnings: [], unchanged: look === null };
    },
  } as unknown as Auditor;
}

/** An auditor that only notes whether each look was asked to be deep. */
function noting(): { auditor: Auditor; deep: boolean[] } {
  const deep: boolean[] = [];
  const auditor = {
    lookAtHost: async (o: HostOptions = {}) => {
      deep.push(o.deep === true);
      return { sockets: [] as unknown as Judged, hostname: "h", hostNetns: null, warnings: [], unchanged: false };
    },
  } as unknown as Auditor;
  return { auditor, deep };
}

describe("createLooker", () => {
  it("createLooker with deepEvery makes the first look and every deepEvery-th after it a deep one", async () => {
    const { auditor, deep } = noting();
    const looker = createLooker(auditor, { deepEvery: 3 });
    for (let i = 0; i < 7; i++) await looker.next();
    assert.deepEqual(deep, [true, false, false, true, false, false, true]);
  });

  it("createLooker without deepEvery never looks deep, even when the options say deep", async () => {
    const { auditor, deep } = noting();
    const looker = createLooker(auditor, { deep: true });
    for (let i = 0; i < 3; i++) await looker.next();
    assert.deepEqual(deep, [false, false, false]);
  });

  it("createLooker lean yields the last look's identities and no change for an unchanged host that hands back no sockets", async () => {
    const looker = createLooker(scripted([[listener(22), listener(80)], null, [listener(22)]]), { lean: true });
    const first = await looker.next();
    const second = await looker.next();
    assert.equal(second.seen, first.seen);
    assert.deepEqual(second.events, []);
    assert.equal(second.look.sockets.length, 0, "no sockets are held for the unchanged look");
    const third = await looker.next();
    assert.deepEqual(third.events.map((e) => `${e.type} ${e.socket.local.port}`), ["disappeared 80"]);
  });

  it("createLooker lean takes the identities and counts of the batches a look hands out (LookSession.judged), and calls whileJudging after each", async () => {
    const conn = (port: number): Socket => ({ ...listener(port), remote: { address: "127.0.0.1", port: 22 }, state: "ESTABLISHED", direction: "outbound", exposure: null });
    const looks = [[[listener(22)], [conn(40001), conn(40002)], [conn(40003)]], [[listener(22)], [conn(40004)]]];
    let i = 0;
    const auditor = {
      lookAtHost: async (_o: HostOptions, session: LookSession) => {
        const batches = looks[i++] ?? [];
        for (const b of batches) session.judged?.(b as unknown as Judged, 1);
        return { sockets: [] as unknown as Judged, socketCount: batches.flat().length, hostname: "h", hostNetns: 1, warnings: [], unchanged: false };
      },
    } as unknown as Auditor;
    let batchesSeen = 0;
    const looker = createLooker(auditor, { lean: true, whileJudging: () => { batchesSeen++; } });
    const first = await looker.next();
    assert.equal(batchesSeen, 3);
    assert.deepEqual([...first.counts.values()].sort(), [1, 3], "the listener once, the three connections to it as one identity");
    assert.equal(first.look.sockets.length, 0);
    const second = await looker.next();
    assert.deepEqual([...second.counts.values()].sort(), [1, 1], "each look counts its own batches only");
    assert.deepEqual(second.events, [], "the same identities: no change");
  });

  it("createLooker without lean diffs what an unchanged look hands back only when it is the last look's array", async () => {
    const looker = createLooker(scripted([[listener(22)], null]));
    await looker.next();
    assert.deepEqual((await looker.next()).events.map((e) => e.type), ["disappeared"], "an empty list that is not the last look's is a host without sockets");
  });
});
