import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createAuditor, type HostOptions } from "../../src/audit/auditor.js";
import { baselineFromLook, type Baseline } from "../../src/audit/baseline.js";
import { diffWithBaseline } from "../../src/audit/baseline-diff.js";
import { parsePolicy } from "../../src/audit/policy.js";
import type { Seen } from "../../src/model/change.js";
import { renderEventJson, renderEventLine } from "../../src/report/render-events.js";

/*
 * `portwatch baseline diff` looks at the host without the baseline; the dashboard (`portwatch serve`) looks
 * with it, so that baselined sockets read "expected". diffWithBaseline must tell both the same changes,
 * in the same words, down to each socket's verdict and reasons.
 *
 * The captured tree test/fixtures/proc/debian12-holders (see its CAPTURE.json) has unknown listeners with
 * loopback connections to them ("local-peer"), two suspicious sockets, two expected ones.
 */
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const auditor = createAuditor();
const AT = "2026-11-26T13:00:00.000Z";

const first = await auditor.lookAtHost({ procRoot: tree });
// Everything, the suspicious too (baseline save leaves those out unless --accept names their rules).
const saved = baselineFromLook(first, "2026-11-20T08:30:00.000Z", [...new Set(first.sockets.flatMap((s) => s.reasons.filter((r) => r.verdict === "suspicious").map((r) => r.rule)))]).baseline;
const entries = saved.entries;
const with_ = (b: Baseline, over: Partial<Seen> & { identity?: string }, i: number): Baseline =>
  ({ ...b, entries: b.entries.map((e, k) => (k === i ? { ...e, ...over } : e)) });

/** Baselines made from the look's own: whole, each entry missing, each entry's verdict changed, one extra entry. */
const baselines: { name: string; baseline: Baseline }[] = [
  { name: "the whole look", baseline: saved },
  ...entries.map((e, i) => ({ name: `without ${e.identity}`, baseline: { ...saved, entries: entries.filter((_, k) => k !== i) } })),
  ...entries.map((e, i) => ({ name: `with ${e.identity} saved as ${e.verdict === "unknown" ? "expected" : "unknown"}`, baseline: with_(saved, { verdict: e.verdict === "unknown" ? "expected" : "unknown" }, i) })),
  { name: "with an identity the tree lacks", baseline: with_(saved, { identity: "L|tcp|1|/usr/sbin/gone|root|host" }, 0) },
  { name: "of half the look", baseline: { ...saved, entries: entries.filter((_, k) => k % 2 === 1) } },
];

const policy = await parsePolicy("allow:\n  - local.address: 127.0.0.0/8\n    proto: udp\n    because: test\n", "baseline-diff-policy.yaml");
const texts = (events: ReturnType<typeof diffWithBaseline>) => events.map((e) => `${renderEventLine(e)}\n${renderEventJson(e)}`);

describe("diffWithBaseline", () => {
  it("diffWithBaseline finds no change between a look and the baseline saved from it, though the look was judged with that baseline", async () => {
    const look = await auditor.lookAtHost({ procRoot: tree, baseline: saved });
    assert.ok(look.sockets.some((s) => s.reasons.some((r) => r.rule === "baseline")), "the baseline made some sockets expected");
    assert.deepEqual(texts(diffWithBaseline(saved, look, AT)), []);
  });

  for (const extra of [{}, { policy }] as HostOptions[]) {
    for (const { name, baseline } of baselines) {
      it(`diffWithBaseline tells the same changes for a look judged with the baseline as for one judged without it: baseline ${name}${extra.policy ? ", with a policy" : ""}`, async () => {
        const without = await auditor.lookAtHost({ procRoot: tree, ...extra });
        const judgedWith = await auditor.lookAtHost({ procRoot: tree, ...extra, baseline });
        assert.deepEqual(texts(diffWithBaseline(baseline, judgedWith, AT)), texts(diffWithBaseline(baseline, without, AT)));
      });
    }
  }

  it("diffWithBaseline tells an appeared listener, a disappeared identity and a changed verdict", async () => {
    const listener = entries.find((e) => e.identity.startsWith("L|tcp|") && e.verdict === "unknown")!;
    const expected = entries.find((e) => e.verdict === "expected")!;
    const baseline: Baseline = {
      ...saved,
      entries: [...entries.filter((e) => e !== listener).map((e) => (e === expected ? { ...e, verdict: "unknown" as const } : e)), { ...listener, identity: "L|tcp|1|/usr/sbin/gone|root|host" }],
    };
    const look = await auditor.lookAtHost({ procRoot: tree, baseline });
    const events = diffWithBaseline(baseline, look, AT);
    assert.deepEqual(events.map((e) => [e.type, e.identity, e.socket.verdict, e.was]), [
      ["disappeared", "L|tcp|1|/usr/sbin/gone|root|host", "unknown", undefined],
      ["appeared", listener.identity, "unknown", undefined],
      ["verdict-changed", expected.identity, "expected", "unknown"],
    ]);
  });
});
