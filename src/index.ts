// portwatch as a library: re-exports only.
export * from "./model/index.js";
export { collectLinux, type CollectOptions, type Collection } from "./collect/linux.js";
export { attribute, type OwnerMap } from "./collect/attribute.js";
export { classify, isListening } from "./collect/classify.js";
export { parseProcNet, decodeProcAddress, encodeProcAddress } from "./collect/parse/proc-net.js";
export { parseCapture, detectFormat, captureReader, CAPTURE_FORMATS, type CaptureFormat, type CaptureResult } from "./collect/parse/capture.js";
export { createServiceRegistry, serviceFor, type ServiceRegistry } from "./knowledge/service-registry.js";
export { createKnowledge, type Knowledge } from "./knowledge/knowledge.js";
export { evaluate, worst, type EvaluateOptions } from "./evaluate/evaluate.js";
export { enrich, summarize } from "./evaluate/enrich.js";
export { loadPolicy, type Policy } from "./evaluate/policy.js";
export { explainSocket } from "./evaluate/explain.js";
export { renderTable, renderTableChunks, renderCounts, formatEndpoint } from "./report/render-table.js";
export { renderJson, renderJsonChunks, renderNdjsonChunks, socketJson } from "./report/render-json.js";
export { renderExplain } from "./report/render-explain.js";
