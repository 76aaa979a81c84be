// The timeline's shape as data (pure, no DOM: test/serve/ui-timeline.test.ts checks it): the scale, the
// axes' ticks and labels, and each verdict's line, for the points of the last looks. timeline.ts draws it.
import type { Verdict } from "../../model/verdict.js";
import { VERDICT_GROUPS, type VerdictColour } from "../../report/socket-order.js";
import type { Summary } from "./api.js";

/** Room around the plot, in pixels: the legend on top, the times below (the counts' room on the left depends on them). */
export const MARGIN = { right: 8, top: 20, bottom: 16 } as const;
/** About the width of a digit of the labels (10px system-ui), to leave room for the counts. */
const DIGIT = 6;

/** A label of an axis at a place along it. */
export interface Tick {
  /** Pixels: x for a time, y for a count. */
  at: number;
  label: string;
}

/** What the chart shows. */
export interface TimelineShape {
  /** The plot's box. */
  plot: { x0: number; x1: number; y0: number; y1: number };
  /** One line per verdict, worst last (drawn on top): its colour class and points "x,y x,y …". */
  lines: { verdict: Verdict; colour: VerdictColour; points: string; now: number }[];
  /** Counts up the side: 0, the middle and the top of the scale. */
  counts: Tick[];
  /** Times along the bottom, in the browser's local time. */
  times: Tick[];
  /** The offset of that local time from UTC: "UTC", "UTC+01:00", "UTC-05:30". */
  zone: string;
}

/** 1, 2, 5, 10, 20, 50, …: the smallest at or above n (the top of the count axis). */
export function niceCeiling(n: number): number {
  if (n <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * power >= n) return step * power;
  return 10 * power;
}

/** "250", "2500", "25k", "250k", "2.5M": a count in at most four characters (the scale's are round). */
export function countText(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 1_000_000) return `${n / 1000}k`;
  return `${n / 1_000_000}M`;
}

/** "UTC+01:00" for an offset in minutes east of UTC (the opposite sign of Date's getTimezoneOffset). */
export function zoneText(minutesEast: number): string {
  if (minutesEast === 0) return "UTC";
  const a = Math.abs(minutesEast);
  return `UTC${minutesEast < 0 ? "-" : "+"}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

/** "13:05:09": a time of day at `minutesEast` from UTC. */
function clock(ms: number, minutesEast: number): string {
  return new Date(ms + minutesEast * 60_000).toISOString().slice(11, 19);
}

/**
 * The chart for `points` (oldest first) in a box of `w` × `h` pixels, times shown at `minutesEast` from
 * UTC. Points are placed by their time (`at`) when every point has one, else evenly.
 */
export function timelineShape(points: readonly Summary[], w: number, h: number, minutesEast: number): TimelineShape {
  const top = niceCeiling(Math.max(0, ...points.flatMap((p) => VERDICT_GROUPS.map((g) => p[g.verdict]))));
  const scale = top % 2 === 0 ? [0, top / 2, top] : [0, top];
  const labels = scale.map(countText);
  const plot = { x0: 8 + DIGIT * Math.max(...labels.map((l) => l.length)), x1: w - MARGIN.right, y0: MARGIN.top, y1: h - MARGIN.bottom };
  const y = (n: number) => plot.y1 - (n / top) * (plot.y1 - plot.y0);
  const times = points.map((p) => (p.at === undefined ? NaN : Date.parse(p.at)));
  const timed = times.length > 0 && times.every((t) => !Number.isNaN(t));
  const t0 = timed ? (times[0] as number) : 0, t1 = timed ? (times.at(-1) as number) : 0;
  const x = (i: number) => {
    const f = timed ? (t1 > t0 ? ((times[i] as number) - t0) / (t1 - t0) : 0) : i / Math.max(1, points.length - 1);
    return plot.x0 + f * (plot.x1 - plot.x0);
  };
  const lines = [...VERDICT_GROUPS].reverse().map((g) => ({
    verdict: g.verdict, colour: g.colour,
    points: points.map((p, i) => `${x(i).toFixed(1)},${y(p[g.verdict]).toFixed(1)}`).join(" "),
    now: points.at(-1)?.[g.verdict] ?? 0,
  }));
  const counts = scale.map((n, i) => ({ at: y(n), label: labels[i] as string }));
  // Up to four times, evenly from the first look to the last (one when all looks share a second).
  const timeTicks: Tick[] = [];
  if (timed) {
    const n = t1 - t0 >= 3000 ? 4 : 1;
    for (let k = 0; k < n; k++) {
      const t = n === 1 ? t1 : t0 + ((t1 - t0) * k) / (n - 1);
      timeTicks.push({ at: n === 1 ? plot.x1 : plot.x0 + ((plot.x1 - plot.x0) * k) / (n - 1), label: clock(t, minutesEast) });
    }
  }
  return { plot, lines, counts, times: timeTicks, zone: zoneText(minutesEast) };
}
