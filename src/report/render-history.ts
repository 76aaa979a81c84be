import type { HistoryEntry } from "../model/change.js";
import { layoutColumns } from "./columns.js";
import { safeText } from "./safe-text.js";
import { timeText } from "./time-text.js";

/** `portwatch history` as a table, most recently seen first; times are local with their offset (time-text.ts). */
export function renderHistory(rows: readonly HistoryEntry[], width?: number): string {
  if (rows.length === 0) return "Nothing in the history for that time and port.\n";
  const { lines } = layoutColumns(
    [{ header: "Last seen" }, { header: "First seen" }, { header: "Times", right: true }, { header: "Verdict" }, { header: "Identity", min: 20, elide: "middle" }, { header: "Owners seen", min: 10 }],
    rows.map((r) => [safeText(timeText(r.lastSeen)), safeText(timeText(r.firstSeen)), String(r.timesSeen), r.lastVerdict, safeText(r.identity), safeText(r.owners.join(", "))]),
    width,
  );
  return `${lines.join("\n")}\n`;
}
