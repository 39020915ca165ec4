// One request/response pair on a client connection: created when a head is routed, dropped when the
// exchange ends, so nothing of it can leak into the next one. It holds the decisions read from the
// heads (framing, keep-alive, upgrade) and where each direction stands; the connection moves bytes.

import { BodyMeter, type Framing } from "../http/body";
import type { HeadLimits, RequestHead } from "../http/head-parser";
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

export class Exchange {
  readonly reqBody: BodyMeter;
  /** The serialised request head, kept until the exchange ends: a retry sends it again. */
  readonly reqHead: string;
  up: Upstream | null = null;
  connecting = false;
  retried = false;
  resp = Resp.Head;
  readonly respHead: HeadReader;
  respBody: BodyMeter | null = null;
  /** Part of the response reached the client: from now on a failure can only close the connection. */
  respStarted = false;
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
    reqHead: string,
    limits: HeadLimits,
  ) {
    this.reqBody = new BodyMeter(framing);
    this.reqHead = reqHead;
    this.respHead = new HeadReader(limits);
  }

  /** A request with no body can go again on a new connection if a pooled one died before answering. */
  get retryable(): boolean {
    return !this.retried && this.reqBody.framing.kind === "none" && this.respHead.size === 0;
  }
}
