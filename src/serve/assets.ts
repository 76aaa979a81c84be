// The dashboard page: its sources are real files in ui/ (index.html, dashboard.css, dashboard.ts and the
// pure text functions of report/ it imports), bundled by scripts/build-ui.mjs, the first step of
// `npm run build`, into ui/generated/assets.ts (not in git). Embedded as strings, they are in dist/ and
// in the one-file CLI bundle like any other module; no file is read when the server runs.
export { APP_CSS, APP_JS, INDEX_HTML } from "./ui/generated/assets.js";
