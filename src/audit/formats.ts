// The capture formats, without their readers (the command line names them in --help at start-up).
export { CAPTURE_FORMATS, type CaptureFormat } from "../collect/parse/capture-formats.js";
