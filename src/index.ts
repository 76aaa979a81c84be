// portwatch as a library: re-exports only. The entry points are `audit()` and `watch()`; `createAuditor`
// and `createLooker` are for callers that look many times and want to keep knowledge and caches.
export * from "./model/index.js";
export { audit, watch, type AuditRequest, type AuditResult, type WatchRequest, type WatchLook } from "./audit/library.js";
export {
  createAuditor, createLookSession, type Auditor, type AuditorOptions, type HostOptions, type HostLook, type HostStream,
  type LookSession, type ReadCapture, type Selection,
} from "./audit/auditor.js";
export type { Judged, Named, Classified, Collected } from "./audit/pipeline.js";
export { createLooker, lookLoop, type Looker, type LoopLook, type LoopTiming } from "./audit/look-loop.js";
export { parsePolicy, type Policy } from "./audit/policy.js";
export { readCaptureText, detectFormat, CAPTURE_FORMATS, type CaptureFormat } from "./audit/capture.js";
export { baselineFromLook, diffWithBaseline, loadBaseline, saveBaseline, type Baseline } from "./audit/baseline.js";
export { explainPort, type PortFacts } from "./audit/explain-port.js";
export { statePaths, type StatePaths } from "./audit/state-dir.js";
export type { ProvenanceOptions } from "./collect/linux.js";
export type { Knowledge } from "./knowledge/knowledge.js";
export type { ServiceRegistry } from "./knowledge/service-registry.js";
export { renderTable, renderTableChunks, renderCounts, formatEndpoint, type TableOptions } from "./report/render-table.js";
export { renderJson, renderJsonChunks, renderNdjsonChunks, socketJson } from "./report/render-json.js";
export { renderExplain } from "./report/render-explain.js";
export { renderEventLine, renderEventJson } from "./report/render-events.js";
export { safeText } from "./report/safe-text.js";
