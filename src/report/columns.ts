/** A column of a plain-text table. */
export interface Column {
  header: string;
  /** Right-align (numbers). */
  right?: boolean;
  /** The narrowest this column may be squeezed to; it never shrinks when absent. */
  min?: number;
  /** How to shorten a cell that is too wide: cut the end (default), the middle, or an address's host (its ":port" stays whole). */
  elide?: "end" | "middle" | "address";
  /**
   * When this column gives up width to fit the screen: columns of a lower tier shrink first, down to their
   * `min`, before a higher tier gives anything (default 0: all alike). The widest of a tier shrinks first.
   */
  tier?: number;
}

/**
 * Shortens text to `width` characters with an ellipsis at the end or in the middle; "address" cuts the
 * middle of the host and keeps the ":port" after the last colon whole ("192.168…143:60742"), as long as
 * there is room for it and the ellipsis.
 */
export function elide(text: string, width: number, where: "end" | "middle" | "address" = "end"): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, width);
  if (where === "address") {
    const colon = text.lastIndexOf(":");
    const port = colon < 0 ? "" : text.slice(colon);
    if (colon > 0 && port.length + 1 < width) return `${elide(text.slice(0, colon), width - port.length, "middle")}${port}`;
    return elide(text, width, "end");
  }
  if (where === "end") return `${text.slice(0, width - 1)}…`;
  const tail = Math.ceil((width - 1) / 2);
  return `${text.slice(0, width - 1 - tail)}…${text.slice(text.length - tail)}`;
}

/**
 * The widths of aligned columns for cells of the given lengths (`lengths` yields each row's cell lengths).
 * When `maxWidth` is given (a terminal), the squeezable columns shrink, widest first, down to their `min`,
 * so the table fits the screen.
 */
export function columnWidths(columns: readonly Column[], lengths: Iterable<readonly number[]>, maxWidth?: number): number[] {
  const widths = columns.map((c) => c.header.length);
  for (const row of lengths) {
    for (let i = 0; i < widths.length; i++) {
      const len = row[i] ?? 0;
      if (len > (widths[i] as number)) widths[i] = len;
    }
  }
  if (maxWidth !== undefined) {
    let total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    while (total > maxWidth) {
      let pick = -1;
      for (let i = 0; i < columns.length; i++) {
        const c = columns[i] as Column;
        if (c.min === undefined || (widths[i] as number) <= c.min) continue;
        const tier = c.tier ?? 0, best = pick < 0 ? 0 : (columns[pick]?.tier ?? 0);
        if (pick < 0 || tier < best || (tier === best && (widths[i] as number) > (widths[pick] as number))) pick = i;
      }
      if (pick < 0) break;
      widths[pick] = (widths[pick] as number) - 1;
      total--;
    }
  }
  return widths;
}

/** One line of the table: the cells in their columns, two spaces apart, cut to fit where a width says so. */
export function formatLine(columns: readonly Column[], widths: readonly number[], cells: readonly string[]): string {
  let out = "";
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i] as Column;
    const w = widths[i] as number;
    const text = elide(cells[i] ?? "", w, c.elide);
    const last = i === columns.length - 1;
    out += c.right ? text.padStart(w) : last ? text : text.padEnd(w);
    if (!last) out += "  ";
  }
  return out;
}

/** Lays out rows as aligned columns separated by two spaces (see columnWidths), the header line first. */
export function layoutColumns(columns: readonly Column[], rows: readonly string[][], maxWidth?: number): { widths: number[]; lines: string[] } {
  const widths = columnWidths(columns, rows.map((r) => r.map((cell) => cell.length)), maxWidth);
  return { widths, lines: [formatLine(columns, widths, columns.map((c) => c.header)), ...rows.map((r) => formatLine(columns, widths, r))] };
}
