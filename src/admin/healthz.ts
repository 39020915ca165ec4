// GET /healthz: `200 ok` while serving, `503 draining` once a graceful shutdown has begun, so a load
// balancer or container runtime stops sending new work before the listeners close.

import { textResponse, type AdminResponse } from "./response";

export function healthz(draining: boolean): AdminResponse {
  return draining ? textResponse(503, "draining") : textResponse(200, "ok");
}
