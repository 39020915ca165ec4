// The policy at the door: what the connection asks right after route() and before any upstream is
// chosen or connected. Thin: the decisions are src/policy.ts's; this turns them into the bytes to
// answer, strips the proxy's credentials from a head that may pass, and logs refusals under a cap
// (clients can trigger them at will).

import { tokenRedirect } from "../auth/browser";
import { stripCredentials } from "../auth/token";
import { errorResponse, HttpError } from "../http/errors";
import { fieldTokens, type RequestHead } from "../http/head-parser";
import { DEBUG, log } from "../log";
import { droppedNote, LogLimiter } from "../log-limiter";
import { checkAccess, TokenRedirect, type Policy, type RouteKind } from "../policy";
import { requestedWorkspace, type Target } from "../route";

const REFUSAL_LINES_PER_SECOND = 5;

function routeKind(head: RequestHead): RouteKind {
  if (head.method === "CONNECT") return "connect";
  return head.lower.includes("upgrade") && fieldTokens(head, "connection").includes("upgrade") ? "upgrade" : "request";
}

export class Gate {
  private readonly refusals = new LogLimiter(REFUSAL_LINES_PER_SECOND, 1000);

  constructor(
    private readonly policy: Policy,
    /** --host-suffix, for whether a Host names a workspace. */
    private readonly hostSuffixes: readonly string[] | undefined,
  ) {}

  /**
   * null: forward the request (Proxy-Authorization and the token cookie already removed from
   * `head`). Otherwise the proxy's complete answer; the connection closes after it.
   */
  admit(head: RequestHead, target: Target, peer: string): Uint8Array | null {
    // route() has accepted the head, so a workspace it names is valid UTF-8 and requestedWorkspace finds it.
    const workspace = requestedWorkspace(head, this.hostSuffixes) !== null;
    const r = checkAccess(this.policy, head, { port: target.port, workspace, kind: routeKind(head), peer });
    if (r === null) {
      if (this.policy.token !== null) stripCredentials(head);
      return null;
    }
    if (r instanceof TokenRedirect) {
      if (log.level >= DEBUG) log.debug(`${peer}: token accepted, cookie set, redirected to ${r.location}`);
      return tokenRedirect(r.location, r.setCookie);
    }
    this.logRefusal(r, target, peer);
    return errorResponse(r);
  }

  private logRefusal(err: HttpError, t: Target, peer: string): void {
    const dropped = this.refusals.take(performance.now());
    if (dropped === null) return;
    log.warn(`${peer} -> ${t.host}:${t.port}: ${err.status} ${err.reason}${droppedNote(dropped)}`);
  }
}
