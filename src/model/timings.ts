/**
 * A stopwatch for named phases (PORTWATCH_TIMINGS): each call adds the milliseconds since the previous
 * call (or since the stopwatch was made) to `timings[phase]`. Without `timings` it only keeps time.
 */
export function phaseTimer(timings: Record<string, number> | undefined): (phase: string) => void {
  let mark = performance.now();
  return (phase) => {
    const now = performance.now();
    if (timings) timings[phase] = (timings[phase] ?? 0) + now - mark;
    mark = now;
  };
}
