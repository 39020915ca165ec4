// The one entry from the connection into the admin endpoints: is this request the proxy's own (the
// admin Host, from a peer in --admin-from), and if so its answer as bytes with the keep-alive choice
// made. Everything else about the admin Host lives in this directory.

import { requestFraming } from "../http/body";
import { HttpError } from "../http/errors";
import { fieldTokens, type RequestHead } from "../http/head-parser";
import { adminAllowed, isAdminHost } from "./access";
import type { AdminConfig } from "./config";
import { serializeAdminResponse, type AdminResponse } from "./response";
import { adminResponse, type AdminState } from "./router";

export interface AdminHost {
  config: AdminConfig;
  state: AdminState;
}

export interface AdminReply {
  bytes: Buffer;
  status: number;
  /** The connection may serve another request after this answer. */
  keepAlive: boolean;
}

/**
 * The proxy's own answer, or null when the request is routed like any other. The listing's
 * endpoints answer later (a Promise): they wait for a reading of /proc.
 */
export function adminReply(head: RequestHead, peer: string, admin: AdminHost): AdminReply | Promise<AdminReply> | null {
  const at = head.lower.indexOf("host");
  if (at === -1) return null;
  const host = head.values[at]!;
  if (!isAdminHost(host, admin.config.host) || !adminAllowed(peer, admin.config.from)) return null;
  const framing = requestFraming(head);
  const connection = fieldTokens(head, "connection");
  // No admin endpoint reads a body: after one, the connection closes rather than parse it as a head.
  const reusable =
    !(framing instanceof HttpError) && framing.kind === "none" && (head.minor === 1 ? !connection.includes("close") : connection.includes("keep-alive"));
  const wire = (res: AdminResponse): AdminReply => {
    // Decided when the answer is ready: a drain may have begun while the listing was read.
    const keepAlive = reusable && !admin.state.draining;
    return { bytes: serializeAdminResponse(res, { head: head.method === "HEAD", keepAlive, clientMinor: head.minor }), status: res.status, keepAlive };
  };
  const res = adminResponse({ method: head.method, target: head.target, host }, admin.state);
  return res instanceof Promise ? res.then(wire) : wire(res);
}
