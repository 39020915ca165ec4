// One request/response pair on a client connection: created when a head is routed, dropped when the
// exchange ends, so nothing of it can leak into the next one. It holds the decisions read from the
// heads (framing, keep-alive, upgrade) and where each direction stands; the connection moves bytes.

import { BodyMeter, type Framing } from "../http/body";
import { fieldTokens, type HeadLimits, type RequestHead } from "../http/head-parser";
import { HeadReader } from "../http/head-reader";
import { ROUTE, type RoutedBy } from "../metrics";
import type { Target } from "../route";
import type { Upstream } from "./upstream";

export const enum Resp {
  /** Waiting for the response head (interim responses are relayed meanwhile). */
  Head,
  Body,
  Done,
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

export class Exchange {
  readonly reqBody: BodyMeter;
  /** The outbound request head, kept until the exchange ends: a retry sends it again. */
  readonly reqHead: Buffer;
  up: Upstream | null = null;
  connecting = false;
  retried = false;
  resp = Resp.Head;
  readonly respHead: HeadReader;
  respBody: BodyMeter | null = null;
  /** Part of the response reached the client: from now on a failure can only close the connection. */
  respStarted = false;
  /** An interim response (100, 103) reached the client: the request is no longer safe to send again. */
  interimRelayed = false;
  /** `Expect: 100-continue` and no body byte sent yet: the client rightly waits for the upstream. */
  awaitingContinue: boolean;
  /** The upstream's last exchange ended cleanly and in step: it may serve another request. */
  reusable = false;
  /** The upstream is paused because the client's outbox is full. */
  upstreamPaused = false;
  /** For /metrics and the access log: how the target was chosen, and the status sent (0: none yet). */
  route: RoutedBy = ROUTE.host;
  status = 0;
  /** For the access log (measured only while it is on): when connecting began, and how long it took. */
  connectStart = 0;
  connectMs: number | null = null;

  constructor(
    readonly req: RequestHead,
    readonly target: Target,
    framing: Framing,
    readonly upgrade: boolean,
    /** The client connection stays open after this exchange. */
    public keepAlive: boolean,
    reqHead: Buffer,
    limits: HeadLimits,
  ) {
    this.reqBody = new BodyMeter(framing);
    this.reqHead = reqHead;
    this.respHead = new HeadReader(limits);
    this.awaitingContinue = !this.reqBody.done && fieldTokens(req, "expect").includes("100-continue");
  }

  /**
   * A pooled connection that died before answering may get the request again on a new one: only an
   * idempotent request [RFC 9110 §9.2.2] with no body, of which nothing of an answer was seen.
   */
  get retryable(): boolean {
    return (
      !this.retried && IDEMPOTENT.has(this.req.method) && this.reqBody.framing.kind === "none" && !this.interimRelayed && this.respHead.size === 0
    );
  }
}
