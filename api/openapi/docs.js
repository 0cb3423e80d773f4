// Renders /openapi.json with Redoc, served by Hookflow itself (no CDN). A
// file of its own, not an inline script, so that the page's CSP can forbid
// every script but this server's.
import { init } from "/docs/redoc.standalone.js";

init("/openapi.json", { disableTelemetry: true }, document.getElementById("redoc"));
