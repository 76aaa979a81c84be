// Times as people read them, always with their zone: the local date and time and the offset from UTC
// ("2026-12-01 15:48:56 +01:00"), so a line read later, on another machine or beside a UTC log names one
// moment. Every view that shows a time uses these two functions: the history table, `watch`, `baseline
// diff` and the dashboard's change lines (report/event-line.ts). Pure and free of Node (the dashboard
// bundles it): the zone is the process's (TZ) in the terminal and the browser's in the page.

const two = (n: number) => String(n).padStart(2, "0");

/** The offset of `d`'s local time from UTC: "+01:00", "-03:30", "+00:00" (UTC itself). */
export function offsetText(d: Date): string {
  const minutes = -Math.round(d.getTimezoneOffset());
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? "-" : "+"}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

function dateOf(at: string | Date): Date | null {
  const d = typeof at === "string" ? new Date(at) : at;
  return Number.isNaN(d.getTime()) ? null : d;
}

/** An ISO time (or a Date) as local date, time and offset: "2026-12-01 15:48:56 +01:00"; a text that is no time comes back as it is. */
export function timeText(at: string | Date): string {
  const d = dateOf(at);
  if (d === null) return String(at);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${offsetText(d)}`;
}

/** The clock part of timeText, for lines that follow one another as they happen: "15:48:56 +01:00". */
export function clockText(at: string | Date): string {
  const d = dateOf(at);
  if (d === null) return String(at);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${offsetText(d)}`;
}
