// The small chart in the header: sockets per verdict over the last looks, one line per verdict in the
// verdict's colour (a class of dashboard.css named after src/report/socket-order.ts's colours).
import { VERDICT_GROUPS } from "../../report/socket-order.js";
import type { Summary } from "./api.js";

const SVG = "http://www.w3.org/2000/svg";

/** Draws the points (oldest first) into the <svg>, scaled to its width and height. */
export function drawTimeline(svg: SVGSVGElement, points: readonly Summary[]): void {
  const w = svg.width.baseVal.value, h = svg.height.baseVal.value;
  const max = Math.max(1, ...points.map((p) => p.expected + p.unknown + p.suspicious));
  const x = (i: number) => ((i * w) / Math.max(1, points.length - 1)).toFixed(1);
  const y = (n: number) => (h - 2 - (n / max) * (h - 4)).toFixed(1);
  // Worst last, so it is drawn on top.
  svg.replaceChildren(...[...VERDICT_GROUPS].reverse().map((g) => {
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("class", g.colour);
    line.setAttribute("points", points.map((p, i) => `${x(i)},${y(p[g.verdict])}`).join(" "));
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${g.verdict}: ${points.at(-1)?.[g.verdict] ?? 0} now`;
    line.append(title);
    return line;
  }));
}
