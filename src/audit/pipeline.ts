import { classify } from "../collect/classify.js";
import { enrich } from "../evaluate/enrich.js";
import { createJudge, type EvaluateOptions, type Judge } from "../evaluate/evaluate.js";
import { selectSockets, type Selection } from "../evaluate/select.js";
import type { ServiceRegistry } from "../knowledge/service-registry.js";
import type { Socket } from "../model/socket.js";

/**
 * The one stage order of every audit, live or captured, whole or streamed:
 *
 *   collected ─classify─► classified ─name─► named ─select─► named ─judge─► judged
 *
 * Each stage works in place (200,000 sockets are not copied four times) but returns the same array under
 * a new type, and each stage takes only the type of the stage before it, so calling them out of order
 * does not compile: an unclassified socket cannot be named, an unnamed one cannot be judged, and only
 * judged sockets reach a Snapshot. The live collector classifies as it joins (classify.ts needs the
 * listeners of each namespace, which it has at hand), so a live collection starts as `Classified`.
 */
declare const stage: unique symbol;
type Staged<S extends string> = Socket[] & { readonly [stage]: S };

/** Sockets as a reader made them: addresses, states and owners, no direction or exposure yet. */
export type Collected = Staged<"collected">;
/** With direction and exposure (collect/classify.ts). */
export type Classified = Staged<"classified">;
/** With service names (evaluate/enrich.ts). */
export type Named = Staged<"named">;
/** With verdicts, reasons and explanations (evaluate/evaluate.ts). */
export type Judged = Staged<"judged">;

/** Marks a reader's sockets as the pipeline's input. */
export function collected(sockets: Socket[]): Collected {
  return sockets as Collected;
}

/** Marks the live collector's sockets, which it classifies itself while joining (see collect/linux.ts). */
export function classifiedByCollector(sockets: Socket[]): Classified {
  return sockets as Classified;
}

/** Direction and exposure, from the sockets of each namespace (`hostNetns` tells containers from the host). */
export function classifyStage(sockets: Collected, hostNetns: number | null): Classified {
  classify(sockets, hostNetns);
  return sockets as unknown as Classified;
}

/** Names each socket's service. */
export function nameStage(sockets: Classified, registry: ServiceRegistry): Named {
  enrich(sockets, registry);
  return sockets as unknown as Named;
}

/** Keeps what -t/-u/-w/-l select (before judging, so a selection costs no judgement). */
export function selectStage<T extends Classified | Named>(sockets: T, selection: Selection): T {
  return selectSockets(sockets, selection) as T;
}

/** Judges every socket: listeners first, then the connections (which may take their listener's verdict). */
export function judgeStage(sockets: Named, options: EvaluateOptions): Judged {
  const judge = createJudge(options);
  judge.listeners(sockets);
  judge.others(sockets);
  return sockets as unknown as Judged;
}

/**
 * The judge stage for a look taken in parts (the streamed audit): the listeners, then batch after batch of
 * other sockets, each judged with what the listeners taught the judge.
 */
export interface StreamJudge {
  listeners(sockets: Named): Judged;
  others(sockets: Named): Judged;
}

/** A judge for a look in parts (see StreamJudge). */
export function streamJudge(options: EvaluateOptions): StreamJudge {
  const judge: Judge = createJudge(options);
  return {
    listeners(sockets) { judge.listeners(sockets); return sockets as unknown as Judged; },
    others(sockets) { judge.others(sockets); return sockets as unknown as Judged; },
  };
}
