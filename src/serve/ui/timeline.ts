// The chart in the header: sockets per verdict over the last looks, one line per verdict in the verdict's
// colour (a class of dashboard.css named after src/report/socket-order.ts's colours), with a time axis
// along the bottom, a count axis up the side and a legend. timeline-shape.ts says what to draw; this file
// draws it into the page's <svg>.
import { VERDICT_GROUPS } from "../../report/socket-order.js";
import type { Summary } from "./api.js";
import { MARGIN, timelineShape } from "./timeline-shape.js";

const SVG = "http://www.w3.org/2000/svg";

function svgEl(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag) as SVGElement;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Draws the points (oldest first) into the <svg>, scaled to its width and height, with axes and a legend. */
export function drawTimeline(svg: SVGSVGElement, points: readonly Summary[]): void {
  const w = svg.width.baseVal.value, h = svg.height.baseVal.value;
  const shape = timelineShape(points, w, h, -new Date().getTimezoneOffset());
  const { plot } = shape;
  const parts: SVGElement[] = [];
  // Axes: the counts up the left, the times along the bottom.
  parts.push(svgEl("path", { class: "axis", d: `M${plot.x0},${plot.y0}V${plot.y1}H${plot.x1}` }));
  for (const c of shape.counts) {
    parts.push(svgEl("path", { class: "tick", d: `M${plot.x0 - 3},${c.at.toFixed(1)}H${plot.x0}` }));
    parts.push(svgEl("text", { class: "count-label", x: plot.x0 - 5, y: c.at.toFixed(1), "text-anchor": "end", "dominant-baseline": "middle" }, c.label));
  }
  shape.times.forEach((t, i) => {
    const anchor = shape.times.length === 1 || i === shape.times.length - 1 ? "end" : i === 0 ? "start" : "middle";
    parts.push(svgEl("path", { class: "tick", d: `M${t.at.toFixed(1)},${plot.y1}V${plot.y1 + 3}` }));
    parts.push(svgEl("text", { class: "time-label", x: t.at.toFixed(1), y: h - 2, "text-anchor": anchor }, t.label));
  });
  parts.push(svgEl("text", { class: "axis-title", x: 0, y: 10 }, `sockets · times ${shape.zone}`));
  // The lines, worst last so it is drawn on top.
  for (const l of shape.lines) {
    const line = svgEl("polyline", { class: `line ${l.colour}`, points: l.points });
    line.append(svgEl("title", {}, `${l.verdict}: ${l.now} now`));
    parts.push(line);
  }
  svg.replaceChildren(...parts);
  // The legend, top right, worst first as in the counts: a swatch of each colour and its verdict (placed
  // from the right, by the width each label takes once drawn).
  let right = w - MARGIN.right;
  for (const g of [...VERDICT_GROUPS].reverse()) {
    const label = svgEl("text", { class: `legend ${g.colour}`, x: right, y: 10, "text-anchor": "end" }, g.verdict) as SVGTextElement;
    svg.append(label);
    const width = label.getComputedTextLength();
    svg.append(svgEl("path", { class: `swatch ${g.colour}`, d: `M${(right - width - 16).toFixed(1)},6.5h12` }));
    right -= width + 28;
  }
}
