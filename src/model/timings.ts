/**
 * A stopwatch for named phases (PORTWATCH_TIMINGS): each call adds the milliseconds since the previous
 * call (or since the stopwatch was made) to `timings[phase]`. Without `timings` it only keeps time.
 */
export function phaseTimer(timings: Record<string, number> | undefined): (phase: string) => void {
  let mark = now();
  return (phase) => {
    const t = now();
    if (timings) timings[phase] = (timings[phase] ?? 0) + t - mark;
    mark = t;
  };
}

/** Milliseconds from an arbitrary start (process.hrtime: the global `performance` loads nine modules on first use). */
export function now(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
