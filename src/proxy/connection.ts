// The per-client state machine: read a head, route it, then forward (request and response bodies
// metered by their framing, the client kept alive for the next request), splice an upgrade, or
// tunnel a CONNECT. Parsing, routing, framing and rewriting are pure modules; what one
// request/response pair needs lives in its Exchange; this file only moves bytes between the two
// sockets and decides what happens next.

import type { AccessRecord, ExchangeKind } from "../access-log";
import { redactedTarget } from "../auth/browser";
import { adminReply, type AdminHost, type AdminReply } from "../admin/serve";
import { DEFAULT_FORWARDED, type Config } from "../config";
import { BodyMeter, requestFraming, responseFraming } from "../http/body";
import { errorResponse, HttpError, upstreamFault } from "../http/errors";
import { forwardedEdit, type Hop } from "../http/forwarded";
import { fieldTokens, type RequestHead, type ResponseHead } from "../http/head-parser";
import { HeadReader } from "../http/head-reader";
import { CREDENTIAL_FIELDS, HeadScan, overrideHost, REQUEST_FIELDS } from "../http/head-scan";
import { requestHeadBytes, responseHeadBytes, type FieldValues } from "../http/outbound-head";
import { absoluteFormHost } from "../http/target-form";
import { DEBUG, log } from "../log";
import { PHASE, ROUTE, ROUTE_NAMES, type Metrics, type PhaseKind, type RoutedBy } from "../metrics";
import type { Deadlines, Expiring } from "../net/deadlines";
import { Outbox } from "../net/outbox";
import type { ByteSocket } from "../net/socket";
import { Splice, type SocketEvents } from "../net/splice";
import { isSelfTarget, requestedWorkspace, route, routedByHeader } from "../route";
import { ConnectFailure } from "./connect";
import { htmlChoice } from "./error-view";
import { Exchange, Resp } from "./exchange";
import type { Gate } from "./gate";
import { Upstream, UpstreamPool, type UpstreamOwner } from "./upstream";

/** What every connection of one proxy shares. */
export interface ProxyContext {
  config: Config;
  pool: UpstreamPool;
  deadlines: Deadlines;
  /** Bound listen addresses (real ports), for loop detection. */
  listening: Config["listen"];
  localAddresses: ReadonlySet<string>;
  /** Set on SIGINT/SIGTERM: finish the current exchange, then close. */
  draining: boolean;
  /** What listens near a refused target, for the 502 (src/proxy/nearby.ts); absent: no diagnosis. */
  diagnose?: (host: string, port: number) => Promise<string[]>;
  /** Who may reach what (--allow-ports, --auth-token, ...); absent when nothing is restricted. */
  gate?: Gate | undefined;
  metrics: Metrics;
  /** Requests for the admin Host are answered by the proxy itself (src/admin/). */
  admin: AdminHost;
  /** --access-log: takes one record per finished exchange; null when off (nothing is measured). */
  accessLog: ((r: AccessRecord) => void) | null;
}

const enum Phase {
  /** Waiting for (the rest of) a request head. */
  Head,
  /** A request is being forwarded (connecting, streaming either body, waiting for the response). */
  Exchange,
  /** Upgraded or CONNECT: the splice owns both sockets. */
  Tunnel,
  /** An admin answer waits for a reading of /proc (src/admin/); input waits with it. */
  Admin,
  Closed,
}

/** What the one deadline of a connection means when it passes. */
const enum Deadline {
  None,
  /** No request in progress: close quietly. */
  Idle,
  /** A head has started and must be complete in time (slowloris): 408. */
  Head,
  /** Connecting upstream: 504. */
  Connect,
  /** The request body must keep coming, unless the upstream is not taking it: 408. */
  Body,
  /** The whole request is out; the response's first byte must come: 504. */
  FirstByte,
}

const CONNECT_OK = Buffer.from("HTTP/1.1 200 Connection Established\r\n\r\n", "latin1");
// Head and first body bytes go out in one write when the body part is this small.
const COALESCE_BYTES = 16 * 1024;

// One scan per direction for the whole process: a head is scanned and its outbound bytes written in
// one synchronous step, and what must outlive that step (the decoded fields, the outbound head) is
// copied out of it.
const requestScan = new HeadScan();
// This request's hop, filled in just before forwardedEdit reads it (which keeps none of it).
const HOP: Hop = { peer: "", port: 0, proto: "http" };
const EMPTY = Buffer.alloc(0);
const responseScan = new HeadScan();

/** The request head followed by `body`: one write. */
function withBody(head: Buffer, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Edits by index into the fields of a head read from `requestScan` with `ids`, by index into the scan. */
function scanIndexed(edits: ReadonlyMap<number, string | null> | null, ids: number): FieldValues | null {
  if (edits === null) return null;
  const out = new Map<number, string | null>();
  for (const [k, v] of edits) out.set(requestScan.fieldIndex(ids, k), v);
  return out;
}

/** The status of a response the proxy wrote itself: `HTTP/1.1 NNN ...`. */
function statusOf(response: Uint8Array): number {
  return (response[9]! - 48) * 100 + (response[10]! - 48) * 10 + (response[11]! - 48);
}

/** Why a connect failed, as the 502 says it. */
function connectFailure(err: { code?: string; message?: string }): string {
  return err.code === "ECONNREFUSED" ? "refused the connection" : `failed: ${err.code ?? err.message}`;
}

/** The access log's exchange in progress: its head, its start, and the input consumed and output
 * sent when the previous one was logged. */
interface Logged {
  head: RequestHead | null;
  ex: Exchange | null;
  t0: number;
  in0: number;
  out0: number;
}

export class ClientConnection implements UpstreamOwner, SocketEvents, Expiring {
  deadline = 0;
  private deadlineKind = Deadline.None;
  /** Who the client socket's events go to: this connection, or the splice once a tunnel starts. */
  events: SocketEvents = this;
  private phase = Phase.Head;
  private readonly out: Outbox;
  /** Client bytes not yet processed: a partial head, body bytes waiting for upstream, pipelined requests. */
  private readonly input: HeadReader;
  private ex: Exchange | null = null;
  /** The request being answered, if its head was read: its Accept picks the error page. */
  private head: RequestHead | null = null;
  private clientEnded = false;
  /** The client is paused because the upstream's outbox is full. */
  private pausedForUpstreamOutbox = false;
  /** The client is paused because it sent more than we can pass on yet. */
  private pausedForInput = false;
  private clientPaused = false;
  /** How the current request chose its target, for /metrics and the access log (none: not yet). */
  private reqRoute: RoutedBy = ROUTE.none;
  /** The tunnel is an upgrade (101), not a CONNECT. */
  upgraded = false;
  /** Client bytes received, tunnels included (server.ts counts every read). */
  received = 0;
  /** The access log's progress; null while the log is off (one object, not five fields: an idle
   * connection stays within a smaller allocation). */
  private readonly logged: Logged | null;

  constructor(
    readonly socket: ByteSocket,
    private readonly ctx: ProxyContext,
  ) {
    this.out = new Outbox(socket);
    this.input = new HeadReader(ctx.config.limits);
    this.logged = ctx.accessLog === null ? null : { head: null, ex: null, t0: 0, in0: 0, out0: 0 };
    ctx.deadlines.add(this);
    this.arm(Deadline.Idle);
  }

  // ---- client socket events -------------------------------------------------------------------

  onData(buf: Uint8Array): void {
    if (this.phase === Phase.Closed) return;
    this.input.push(buf);
    if (this.phase === Phase.Head) return this.processInput();
    if (this.phase === Phase.Admin) return this.updateInputPause();
    const ex = this.ex!;
    if (!ex.reqBody.done && ex.up !== null) this.forwardRequestBody(ex);
    this.updateInputPause();
  }

  onDrain(): void {
    const ex = this.ex;
    if (this.out.flush() && ex !== null && ex.upstreamPaused && ex.up !== null) {
      ex.upstreamPaused = false;
      ex.up.socket.resume();
    }
  }

  onEnd(): void {
    this.clientEnded = true;
    if (this.phase === Phase.Head) return this.processInput();
    if (this.phase === Phase.Exchange && !this.ex!.reqBody.done) {
      // The request body can never complete: the upstream saw a partial request, drop it.
      this.log("warn", "client closed in the middle of the request body");
      this.abort();
    }
  }

  onClose(): void {
    this.teardown();
  }

  expire(): void {
    const kind = this.deadlineKind;
    this.deadlineKind = Deadline.None;
    const limits = this.ctx.config.limits;
    const t = this.ex?.target;
    switch (kind) {
      case Deadline.Idle:
        return this.closeClient();
      case Deadline.Head:
        return this.fail(new HttpError(408, "request head not received in time"));
      case Deadline.Connect:
        this.ctx.metrics.connectTimeouts++;
        return this.fail(new HttpError(504, `could not connect to upstream ${t!.host}:${t!.port} within ${limits.connectTimeout}s`));
      case Deadline.Body:
        // A body held back because the upstream is not taking it is not a stall.
        if (this.pausedForUpstreamOutbox) return this.arm(Deadline.Body);
        return this.fail(new HttpError(408, `request body stalled: nothing received for ${limits.idleTimeout}s`));
      case Deadline.FirstByte:
        // Request bytes still queued: the upstream is not reading, the clock restarts once they are out.
        if (this.pausedForUpstreamOutbox) return this.arm(Deadline.FirstByte);
        this.ctx.metrics.responseTimeouts++;
        return this.fail(new HttpError(504, `upstream ${t!.host}:${t!.port} did not answer within ${limits.upstreamTimeout}s`));
    }
  }

  /** Where this connection is, for /metrics' gauges (counted when asked, not kept on the hot path). */
  metricsPhase(): PhaseKind {
    if (this.phase === Phase.Tunnel) return PHASE.tunnel;
    if (this.phase === Phase.Exchange || this.phase === Phase.Admin) return PHASE.exchange;
    return this.input.size === 0 ? PHASE.idle : PHASE.head;
  }

  /** Graceful shutdown: idle connections close now, busy ones after their exchange. */
  drainForShutdown(): void {
    if (this.phase === Phase.Head && this.input.size === 0) this.closeClient();
  }

  // ---- request side ---------------------------------------------------------------------------

  private processInput(): void {
    while (this.phase === Phase.Head) {
      if (this.input.size === 0) {
        if (this.clientEnded || this.ctx.draining) return this.closeClient();
        return this.arm(Deadline.Idle);
      }
      const found = this.input.next();
      if (found instanceof HttpError) return this.refuse(found);
      if (found === null) {
        if (this.clientEnded) return this.closeClient();
        // The head deadline runs from a head's first byte: later bytes must not extend it.
        if (this.deadlineKind !== Deadline.Head) this.arm(Deadline.Head);
        return;
      }
      const err = requestScan.scanRequest(this.input.takeHeadBytes(), found, this.ctx.config.limits);
      if (err !== null) return this.refuse(err);
      const gate = this.ctx.gate;
      const ids = gate !== undefined && gate.readsCredentials ? REQUEST_FIELDS | CREDENTIAL_FIELDS : REQUEST_FIELDS;
      this.startExchange(requestScan.requestHead(ids), ids);
    }
  }

  /** `head` was just read from `requestScan` with `ids`; the scan still holds its bytes (for the outbound head). */
  private startExchange(head: RequestHead, ids: number): void {
    this.disarm();
    if (this.logged !== null) {
      this.logged.head = head;
      this.logged.t0 = performance.now();
    }
    const absoluteHost = absoluteFormHost(head.target);
    if (absoluteHost !== null) overrideHost(head, absoluteHost);
    this.head = head;
    // Read once: each read of the socket's address makes a new string.
    const peer = this.peer();
    const admin = adminReply(head, peer, this.ctx.admin);
    if (admin instanceof Promise) return this.awaitAdmin(admin);
    if (admin !== null) return this.answerAdmin(admin);
    const cfg = this.ctx.config;
    const target = route(head, cfg.upstreamHost, cfg.hostSuffixes);
    if (target instanceof HttpError) return this.fail(target);
    this.reqRoute = routedByHeader(head) ? ROUTE.header : ROUTE.host;
    let values: FieldValues | null = null;
    if (this.ctx.gate !== undefined) {
      // Before anything reaches for the upstream: a refused request never touches it.
      const refusal = this.ctx.gate.admit(head, target, peer);
      if (refusal !== null) return this.answer(refusal);
      values = scanIndexed(this.ctx.gate.credentialEdits(head), ids);
    }
    if (isSelfTarget(target, this.ctx.listening, this.ctx.localAddresses, cfg.upstreamAddresses)) {
      return this.fail(new HttpError(508, `request routed to the proxy itself (${target.host}:${target.port})`));
    }
    const tunnel = head.method === "CONNECT";
    const framing = tunnel ? ({ kind: "none" } as const) : requestFraming(head);
    if (framing instanceof HttpError) return this.refuse(framing);
    const connection = fieldTokens(head, "connection");
    const upgrade = !tunnel && head.lower.includes("upgrade") && connection.includes("upgrade");
    const keepAlive = head.minor === 1 ? !connection.includes("close") : connection.includes("keep-alive");
    HOP.peer = peer;
    HOP.port = this.socket.localPort;
    const hop = HOP;
    let reqHead: Buffer = EMPTY;
    if (!tunnel) {
      const edit = forwardedEdit(head, connection, target.port, hop, cfg.forwarded ?? DEFAULT_FORWARDED);
      if (edit instanceof HttpError) return this.fail(edit);
      reqHead = requestHeadBytes(requestScan, { upgrade, connection, drop: edit.drop, append: edit.append, host: absoluteHost, values }, null);
    }
    const ex = new Exchange(head, target, framing, upgrade, keepAlive, reqHead, cfg.limits);
    ex.route = this.reqRoute;
    this.ex = ex;
    if (this.logged?.head) this.logged.ex = ex;
    this.phase = Phase.Exchange;
    if (log.level >= DEBUG) log.debug(`${peer} ${head.method} ${head.target} -> ${target.host}:${target.port}`);

    const up = tunnel ? null : this.ctx.pool.take(UpstreamPool.key(target), this);
    if (up !== null) this.sendRequest(ex, up);
    else this.connect(ex);
  }

  /** The one connect path, for forwarding, retries and tunnels: a result for an exchange that is no
   * longer current (failed, timed out, ended) is dropped. */
  private connect(ex: Exchange): void {
    ex.connecting = true;
    if (this.logged?.head) ex.connectStart = performance.now();
    this.arm(Deadline.Connect);
    this.ctx.pool.connect(ex.target, this).then(
      (up) => {
        if (this.ex !== ex || !ex.connecting) return up.close();
        ex.connecting = false;
        if (this.logged?.head) ex.connectMs = performance.now() - ex.connectStart;
        if (ex.req.method === "CONNECT") this.openTunnel(ex, up);
        else this.sendRequest(ex, up);
      },
      (err: { code?: string; message?: string }) => {
        if (this.ex !== ex || !ex.connecting) return;
        ex.connecting = false;
        const t = ex.target;
        const reason = `${ex.req.method === "CONNECT" ? "CONNECT: " : ""}${err instanceof ConnectFailure ? err.message : `upstream ${t.host}:${t.port} ${connectFailure(err)}`}`;
        const diagnose = this.ctx.diagnose;
        if (diagnose === undefined || err.code !== "ECONNREFUSED") return this.fail(new HttpError(502, reason));
        // The socket tables are read off the event loop, bounded in time: no deadline answers meanwhile.
        this.disarm();
        void diagnose(t.host, t.port).then((notes) => {
          if (this.ex === ex) this.fail(new HttpError(502, reason, notes));
        });
      },
    );
  }

  /** An answer that needs a reading of /proc: no input is parsed until it is written. */
  private awaitAdmin(reply: Promise<AdminReply>): void {
    this.phase = Phase.Admin;
    reply.then(
      (r) => {
        if (this.phase !== Phase.Admin) return; // the client went meanwhile
        this.phase = Phase.Head;
        this.answerAdmin(r);
        this.updateInputPause();
        this.processInput();
      },
      (e: unknown) => {
        log.error(`internal error answering the admin page: ${(e as Error).stack ?? e}`);
        if (this.phase === Phase.Admin) this.abort();
      },
    );
  }

  /** The one place the request scope ends (a forwarded exchange finished, or an admin answer): the
   * next request's errors and counters must not read this one's head or route. */
  private requestAnswered(): void {
    this.head = null;
    this.reqRoute = ROUTE.none;
  }

  /** The proxy's own answer: written whole, then on to the next head (processInput's loop). */
  private answerAdmin(r: AdminReply): void {
    this.requestAnswered();
    this.ctx.metrics.request(ROUTE.admin, r.status);
    // At most one answer waits in the outbox: a client pipelining admin requests unread is closed.
    const sent = this.out.send(r.bytes);
    if (this.logged?.head) this.logExchange("http", ROUTE.admin, r.status);
    if (sent && r.keepAlive) return;
    this.closeClient();
  }

  private sendRequest(ex: Exchange, up: Upstream): void {
    ex.up = up;
    const body = this.takeRequestBody(ex);
    if (body instanceof HttpError) return this.refuse(body);
    this.armRequestClock(ex);
    const coalesce = body !== null && body.length <= COALESCE_BYTES;
    this.sendUp(ex, coalesce ? withBody(ex.reqHead, body) : ex.reqHead);
    if (body !== null && !coalesce) this.sendUp(ex, body);
    // Bytes held back while connecting are out now.
    this.updateInputPause();
  }

  /** The request-body bytes buffered (consumed), validated against the framing. */
  private takeRequestBody(ex: Exchange): Uint8Array | null | HttpError {
    const buf = this.input.bytes;
    if (ex.reqBody.done || buf === null) return null;
    const n = ex.reqBody.take(buf);
    if (n instanceof HttpError) return n;
    return this.input.take(n);
  }

  private forwardRequestBody(ex: Exchange): void {
    const body = this.takeRequestBody(ex);
    if (body instanceof HttpError) return this.refuse(body);
    if (body === null) return;
    ex.awaitingContinue = false;
    this.sendUp(ex, body);
    this.armRequestClock(ex);
  }

  /** Awaiting the response: the body must keep coming, then the first response byte. */
  private armRequestClock(ex: Exchange): void {
    // A client waiting for 100 Continue is not stalling: the upstream owes the next step.
    if (ex.resp === Resp.Head) this.arm(ex.reqBody.done || ex.awaitingContinue ? Deadline.FirstByte : Deadline.Body);
  }

  private sendUp(ex: Exchange, data: Uint8Array): void {
    if (!ex.up!.out.send(data)) {
      this.pausedForUpstreamOutbox = true;
      this.updateClientPause();
    }
  }

  // ---- upstream events ------------------------------------------------------------------------

  onUpstreamData(up: Upstream, buf: Buffer): void {
    const ex = this.ex;
    if (ex === null || up !== ex.up) return;
    if (ex.resp === Resp.Head) {
      ex.respHead.push(buf);
      return this.readResponseHeads(ex);
    }
    if (ex.resp === Resp.Body) return this.forwardResponseBody(ex, buf);
    // Bytes after a complete response: the upstream is out of step with its own framing.
    ex.reusable = false;
  }

  onUpstreamDrain(up: Upstream): void {
    const ex = this.ex;
    if (ex === null || up !== ex.up) return;
    if (up.out.flush()) {
      this.pausedForUpstreamOutbox = false;
      this.updateClientPause();
      // The first-byte clock counts from the request being out, not from its last byte queued.
      if (ex.reqBody.done) this.armRequestClock(ex);
    }
  }

  onUpstreamEnd(up: Upstream): void {
    this.upstreamGone(up);
  }

  onUpstreamClose(up: Upstream): void {
    this.upstreamGone(up);
  }

  private upstreamGone(up: Upstream): void {
    const ex = this.ex;
    if (ex === null || up !== ex.up || this.phase !== Phase.Exchange) return;
    this.dropUpstream(ex);
    if (ex.resp === Resp.Body && ex.respBody!.framing.kind === "close") {
      // Close-delimited body: the upstream's EOF is its end.
      ex.resp = Resp.Done;
      return this.finishExchange(ex);
    }
    if (ex.resp === Resp.Head && !ex.respStarted) {
      // A pooled connection the server had already closed: a request with no body can go again.
      if (up.reused && ex.retryable) {
        ex.retried = true;
        return this.connect(ex);
      }
      // Part of a head may be buffered, but nothing of it reached the client: still a clean 502.
      const when = ex.respHead.size > 0 ? "in the middle of the response head" : "before responding";
      return this.fail(new HttpError(502, `upstream ${ex.target.host}:${ex.target.port} closed the connection ${when}`));
    }
    // Response complete with the request body still streaming: nothing more to relay.
    if (ex.resp !== Resp.Done) this.log("warn", "upstream closed in the middle of the response");
    this.abort();
  }

  // ---- response side --------------------------------------------------------------------------

  /** Interim responses are read in a loop, not by recursion: one read may hold any number of them. */
  private readResponseHeads(ex: Exchange): void {
    while (ex.resp === Resp.Head && this.ex === ex && this.phase === Phase.Exchange) {
      const found = ex.respHead.next();
      if (found === null) return;
      if (found instanceof HttpError) return this.badResponse(ex, upstreamFault(found, "head"));
      const err = responseScan.scanResponse(ex.respHead.takeHeadBytes(), found, this.ctx.config.limits);
      if (err !== null) return this.badResponse(ex, upstreamFault(err, "head"));
      this.responseHead(ex, responseScan.responseHead());
    }
  }

  /** `head` was just read from `responseScan`, which still holds its bytes (for the outbound head). */
  private responseHead(ex: Exchange, head: ResponseHead): void {
    const connection = fieldTokens(head, "connection");
    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      // Interim responses (100 Continue, 103 Early Hints) are relayed; HTTP/1.0 clients never see them.
      if (ex.req.minor === 1) {
        ex.interimRelayed = true;
        this.sendClient(ex, responseHeadBytes(responseScan, { keepAlive: true, clientMinor: 1, connection }, null));
      }
      ex.awaitingContinue = false;
      this.armRequestClock(ex);
      return;
    }
    if (head.status === 101) {
      if (!ex.upgrade) return this.badResponse(ex, new HttpError(502, "upstream switched protocols on a request that asked for no upgrade"));
      return this.upgradeTunnel(ex, head, connection);
    }

    const framing = responseFraming(head, ex.req.method);
    if (framing instanceof HttpError) return this.badResponse(ex, upstreamFault(framing, "head"));
    // An HTTP/1.0 client cannot read chunked framing, and the request went up as 1.0: the upstream
    // broke the rule [RFC 9112 §6.1], and relaying it would hand the client bytes it reads wrong.
    if (framing.kind === "chunked" && ex.req.minor === 0) {
      return this.badResponse(ex, new HttpError(502, "upstream sent a chunked response to an HTTP/1.0 request"));
    }
    this.disarm();
    ex.respBody = new BodyMeter(framing);
    const upstreamClose = head.minor === 0 || connection.includes("close");
    ex.reusable = !upstreamClose && framing.kind !== "close" && ex.req.minor === 1;
    if (framing.kind === "close" || !ex.reqBody.done || this.ctx.draining) ex.keepAlive = false;
    ex.resp = ex.respBody.done ? Resp.Done : Resp.Body;
    // Validate the first body bytes before anything is sent: while nothing is, a bad body is a 502.
    const rest = ex.respHead.take();
    const body = rest === null ? null : this.meterResponse(ex, rest);
    if (body instanceof HttpError) return this.badResponse(ex, upstreamFault(body, "body"));
    ex.respStarted = true;
    ex.status = head.status;
    this.ctx.metrics.request(ex.route, head.status);
    const coalesce = body !== null && body.length <= COALESCE_BYTES;
    this.sendClient(ex, responseHeadBytes(responseScan, { keepAlive: ex.keepAlive, clientMinor: ex.req.minor, connection }, coalesce ? body : null));
    if (body !== null && !coalesce) this.sendClient(ex, body);
    if (ex.resp === Resp.Done) this.finishExchange(ex);
  }

  /** The part of `buf` that belongs to the response body; bytes beyond it make the upstream unusable. */
  private meterResponse(ex: Exchange, buf: Uint8Array): Uint8Array | null | HttpError {
    const n = ex.resp === Resp.Done ? 0 : ex.respBody!.take(buf);
    if (n instanceof HttpError) return n;
    if (ex.respBody!.done) ex.resp = Resp.Done;
    if (n < buf.length) ex.reusable = false;
    if (n === 0) return null;
    return n === buf.length ? buf : buf.subarray(0, n);
  }

  private forwardResponseBody(ex: Exchange, buf: Uint8Array): void {
    const body = this.meterResponse(ex, buf);
    if (body instanceof HttpError) {
      this.log("warn", `upstream sent an ${body.reason}`);
      this.ctx.metrics.parseError(502);
      return this.abort();
    }
    if (body !== null) this.sendClient(ex, body);
    if (ex.resp === Resp.Done) this.finishExchange(ex);
  }

  private sendClient(ex: Exchange, data: Uint8Array): void {
    if (!this.out.send(data) && ex.up !== null && !ex.upstreamPaused) {
      ex.upstreamPaused = true;
      ex.up.socket.pause();
    }
  }

  /** Both directions of the exchange are complete (or the response is and the client must go). */
  private finishExchange(ex: Exchange): void {
    const up = ex.up;
    ex.up = null;
    if (up !== null) {
      if (up.out.pending) {
        // Request bytes still queued (the upstream answered early): they are delivered, never lost,
        // and would go out ahead of the next request, so the connection closes after them.
        if (ex.upstreamPaused) up.socket.resume();
        this.ctx.pool.retire(up);
      } else if (ex.reusable && ex.reqBody.done) {
        if (ex.upstreamPaused) up.socket.resume();
        this.ctx.pool.release(up);
      } else {
        up.close();
      }
    }
    this.ex = null;
    this.requestAnswered();
    this.pausedForUpstreamOutbox = false;
    if (this.logged?.head) this.logExchange("http", ex.route, ex.status);
    if (!ex.keepAlive || !ex.reqBody.done) {
      this.phase = Phase.Closed;
      this.out.closeWhenFlushed();
      return;
    }
    this.phase = Phase.Head;
    this.updateInputPause();
    this.processInput();
  }

  // ---- tunnels --------------------------------------------------------------------------------

  private openTunnel(ex: Exchange, up: Upstream): void {
    ex.up = up;
    ex.status = 200;
    this.ctx.metrics.request(ex.route, 200);
    this.ctx.metrics.tunnels++;
    this.sendClient(ex, CONNECT_OK);
    this.log("info", `tunnel to ${ex.target.host}:${ex.target.port}`);
    this.enterTunnel(ex, up);
  }

  private upgradeTunnel(ex: Exchange, head: ResponseHead, connection: readonly string[]): void {
    ex.status = 101;
    this.upgraded = true;
    this.ctx.metrics.request(ex.route, 101);
    this.ctx.metrics.upgrades++;
    this.sendClient(ex, responseHeadBytes(responseScan, { keepAlive: true, clientMinor: 1, connection }, null));
    const rest = ex.respHead.take();
    if (rest !== null) this.sendClient(ex, rest);
    this.log("info", `upgrade (${head.values[head.lower.indexOf("upgrade")] ?? "?"}) to ${ex.target.host}:${ex.target.port}`);
    this.enterTunnel(ex, ex.up!);
  }

  /** From here on the splice owns both sockets and their events; this connection only tears down. */
  private enterTunnel(ex: Exchange, up: Upstream): void {
    this.phase = Phase.Tunnel;
    this.disarm();
    this.ctx.deadlines.remove(this);
    this.pausedForInput = false;
    this.pausedForUpstreamOutbox = false;
    this.updateClientPause();
    const splice = new Splice([this.out, up.out], () => this.teardown());
    this.events = splice;
    up.owner = splice;
    // The splice owns the upstream now: teardown must not cut it short while bytes queued for it
    // are still flushing.
    ex.up = null;
    this.ex = null;
    // Bytes the client sent after the head go first, in order.
    const early = this.input.take();
    if (early !== null) splice.data(0, early);
    if (this.clientEnded) splice.end(0);
  }

  // ---- endings --------------------------------------------------------------------------------

  /** A head or body that cannot be accepted: counted, then answered like any other error. */
  private refuse(err: HttpError): void {
    this.ctx.metrics.parseError(err.status);
    this.fail(err);
  }

  /** Answer with the proxy's own error if nothing has been sent for this request, then close. */
  private fail(err: HttpError): void {
    if (this.phase === Phase.Closed) return;
    if (this.ex?.respStarted) return this.abort();
    if (this.ex !== null) this.ex.status = err.status;
    this.log(err.status >= 500 ? "warn" : "info", `${err.status} ${err.reason}`);
    const page = htmlChoice(this.head, err.status, this.ex?.target.port ?? null, this.ctx.config.hostSuffixes);
    this.answer(errorResponse(err, page));
  }

  /** The proxy's own complete answer, nothing of this request sent yet: send it, then close. */
  private answer(response: Uint8Array): void {
    const status = statusOf(response);
    this.ctx.metrics.request(this.reqRoute, status);
    this.close();
    this.out.send(response);
    // Logged even without a head (a malformed one): the client still got an answer.
    if (this.ctx.accessLog !== null) this.logExchange("http", this.reqRoute, status);
    this.out.closeWhenFlushed();
  }

  private badResponse(ex: Exchange, err: HttpError): void {
    ex.reusable = false;
    this.refuse(err);
  }

  /** Something broke after the response started (or can never complete): close both, no pretending. */
  private abort(): void {
    if (this.phase === Phase.Closed) return;
    if (this.logged?.head) this.logExchange("http", this.ex?.route ?? ROUTE.none, this.ex?.status ?? 0);
    this.close();
    this.socket.end();
  }

  private closeClient(): void {
    if (this.phase === Phase.Closed) return;
    this.close();
    this.out.closeWhenFlushed();
  }

  /** No more exchanges: the upstream (if any) goes, the deadline with it. */
  private close(): void {
    if (this.ex !== null) this.dropUpstream(this.ex);
    this.phase = Phase.Closed;
    this.disarm();
  }

  private dropUpstream(ex: Exchange): void {
    ex.connecting = false;
    ex.upstreamPaused = false;
    const up = ex.up;
    ex.up = null;
    up?.close();
  }

  /** The client socket is gone: release everything it held. */
  private teardown(): void {
    // A tunnel's line is written when it closes; an exchange cut short gets its status so far.
    if (this.logged?.head) {
      const kind = this.phase === Phase.Tunnel ? (this.upgraded ? "upgrade" : "tunnel") : "http";
      this.logExchange(kind, this.logged.ex?.route ?? ROUTE.none, this.logged.ex?.status ?? 0);
    }
    if (this.ex !== null) this.dropUpstream(this.ex);
    this.phase = Phase.Closed;
    this.input.take();
    this.ctx.deadlines.remove(this);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private arm(kind: Deadline): void {
    const l = this.ctx.config.limits;
    const seconds =
      kind === Deadline.Idle || kind === Deadline.Body ? l.idleTimeout
      : kind === Deadline.Head ? l.headTimeout
      : kind === Deadline.Connect ? l.connectTimeout
      : l.upstreamTimeout;
    this.deadlineKind = kind;
    this.deadline = this.ctx.deadlines.after(seconds);
  }

  private disarm(): void {
    this.deadlineKind = Deadline.None;
    this.deadline = 0;
  }

  /** Bytes we cannot pass on yet (pipelined requests, a body while connecting) beyond one head's
   * worth wait in the kernel, not in our memory. */
  private updateInputPause(): void {
    const ex = this.ex;
    const waiting = (this.phase === Phase.Exchange && ex !== null && (ex.reqBody.done || ex.up === null)) || this.phase === Phase.Admin;
    this.pausedForInput = waiting && this.input.size > this.ctx.config.limits.maxHeadBytes;
    this.updateClientPause();
  }

  private updateClientPause(): void {
    const want = this.pausedForInput || this.pausedForUpstreamOutbox;
    if (want === this.clientPaused) return;
    this.clientPaused = want;
    if (want) this.socket.pause();
    else this.socket.resume();
  }

  /** One access-log record for the exchange since the last one: bytes consumed and sent meanwhile. */
  private logExchange(kind: ExchangeKind, route: RoutedBy, status: number): void {
    const logged = this.logged!;
    const { head, ex } = logged;
    const consumed = this.received - this.input.size;
    this.ctx.accessLog!({
      end: Date.now(),
      client: this.peer(),
      method: head?.method ?? "-",
      path: head === null ? "-" : redactedTarget(head.target),
      kind,
      route: ROUTE_NAMES[route],
      workspace: ex === null ? null : requestedWorkspace(ex.req, this.ctx.config.hostSuffixes),
      upstream: ex === null ? null : `${ex.target.host}:${ex.target.port}`,
      status,
      bytesIn: consumed - logged.in0,
      bytesOut: this.out.sent - logged.out0,
      durationMs: head === null ? 0 : performance.now() - logged.t0,
      connectMs: ex?.connectMs ?? null,
    });
    logged.in0 = consumed;
    logged.out0 = this.out.sent;
    logged.head = null;
    logged.ex = null;
  }

  private peer(): string {
    return this.socket.remoteAddress;
  }

  private log(level: "info" | "warn", msg: string): void {
    const t = this.ex?.target;
    log[level](`${this.peer()}${t !== undefined ? ` -> ${t.host}:${t.port}` : ""}: ${msg}`);
  }
}
