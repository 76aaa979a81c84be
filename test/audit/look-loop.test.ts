import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Auditor, HostOptions } from "../../src/audit/auditor.js";
import { createLooker } from "../../src/audit/look-loop.js";
import type { Judged } from "../../src/audit/pipeline.js";

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
});
