import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Summary } from "../../src/serve/ui/api.js";
import { countText, niceCeiling, timelineShape, zoneText } from "../../src/serve/ui/timeline-shape.js";

// The dashboard's timeline as data (src/serve/ui/timeline-shape.ts): its scale, axes and lines. The drawing
// itself is checked in a browser by dashboard.test.ts.
const point = (at: string, expected: number, unknown = 0, suspicious = 0): Summary => ({ at, expected, unknown, suspicious, sockets: expected + unknown + suspicious });

describe("timelineShape", () => {
  for (const [n, top] of [[0, 1], [1, 1], [2, 2], [3, 5], [7, 10], [38, 50], [51, 100], [120, 200], [500_001, 1_000_000]] as const) {
    it(`niceCeiling puts the top of the count axis for ${n} sockets at ${top}`, () => assert.equal(niceCeiling(n), top));
  }
  for (const [n, text] of [[0, "0"], [25, "25"], [2500, "2500"], [25_000, "25k"], [500_000, "500k"], [2_500_000, "2.5M"], [10_000_000, "10M"]] as const) {
    it(`countText writes ${n} in at most four characters: ${text}`, () => assert.equal(countText(n), text));
  }
  for (const [minutes, text] of [[0, "UTC"], [60, "UTC+01:00"], [-330, "UTC-05:30"], [345, "UTC+05:45"]] as const) {
    it(`zoneText names the offset ${minutes} minutes east of UTC ${text}`, () => assert.equal(zoneText(minutes), text));
  }

  it("timelineShape labels the counts 0, the middle and the top, and the times in the given zone, first to last look", () => {
    const points = [point("2026-11-26T13:00:00.000Z", 30, 2), point("2026-11-26T13:00:30.000Z", 38, 1, 1), point("2026-11-26T13:01:00.000Z", 36, 1, 0)];
    const shape = timelineShape(points, 440, 84, 60);
    assert.deepEqual(shape.counts.map((c) => c.label), ["0", "25", "50"]);
    assert.deepEqual(shape.times.map((t) => t.label), ["14:00:00", "14:00:20", "14:00:40", "14:01:00"]);
    assert.equal(shape.zone, "UTC+01:00");
    assert.equal(shape.times[0]?.at, shape.plot.x0);
    assert.equal(shape.times.at(-1)?.at, shape.plot.x1);
    // Higher counts are higher up: y grows downwards.
    assert.ok((shape.counts[0]?.at as number) > (shape.counts[2]?.at as number));
    assert.deepEqual(shape.lines.map((l) => [l.verdict, l.colour, l.now]), [["expected", "green", 36], ["unknown", "yellow", 1], ["suspicious", "red", 0]]);
    // The line of a verdict runs from the first look's time to the last's.
    const xs = (shape.lines[0]?.points ?? "").split(" ").map((p) => Number(p.split(",")[0]));
    assert.deepEqual(xs, [shape.plot.x0, (shape.plot.x0 + shape.plot.x1) / 2, shape.plot.x1].map((x) => Number(x.toFixed(1))));
  });

  it("timelineShape leaves room on the left for the longest count", () => {
    const small = timelineShape([point("2026-11-26T13:00:00.000Z", 3)], 440, 84, 0);
    const large = timelineShape([point("2026-11-26T13:00:00.000Z", 480_000)], 440, 84, 0);
    assert.deepEqual(large.counts.map((c) => c.label), ["0", "250k", "500k"]);
    assert.ok(large.plot.x0 > small.plot.x0);
    assert.deepEqual(small.times.map((t) => t.label), ["13:00:00"], "one look: one time");
  });
});
