// The policy at the door: what the connection asks right after route() and before any upstream is
// chosen or connected. Thin: the decisions are src/policy.ts's; this turns them into the bytes to
// answer, says which of the proxy's credentials come out of a head that may pass, and logs refusals under a cap
// (clients can trigger them at will).

import { tokenRedirect } from "../auth/browser";
import { stripCredentials, type FieldEdits } from "../auth/token";
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

  /** Whether the token is checked: the head must then carry its credentials (head-scan CREDENTIAL_FIELDS). */
  get readsCredentials(): boolean {
    return this.policy.token !== null;
  }

  /**
   * null: forward the request (then `credentialEdits` says what of it must not go upstream).
   * Otherwise the proxy's complete answer; the connection closes after it.
   */
  admit(head: RequestHead, target: Target, peer: string): Uint8Array | null {
    // route() has accepted the head, so a workspace it names is valid UTF-8 and requestedWorkspace finds it.
    const workspace = requestedWorkspace(head, this.hostSuffixes) !== null;
    const r = checkAccess(this.policy, head, { port: target.port, workspace, kind: routeKind(head), peer });
    if (r === null) return null;
    if (r instanceof TokenRedirect) {
      if (log.level >= DEBUG) log.debug(`${peer}: token accepted, cookie set, redirected to ${r.location}`);
      return tokenRedirect(r.location, r.setCookie);
    }
    this.logRefusal(r, target, peer);
    return errorResponse(r);
  }

  /** For an admitted head: Proxy-Authorization and the token cookie removed (null: nothing changes). */
  credentialEdits(head: RequestHead): FieldEdits | null {
    return this.policy.token === null ? null : stripCredentials(head);
  }

  private logRefusal(err: HttpError, t: Target, peer: string): void {
    const dropped = this.refusals.take(performance.now());
    if (dropped === null) return;
    log.warn(`${peer} -> ${t.host}:${t.port}: ${err.status} ${err.reason}${droppedNote(dropped)}`);
  }
}
