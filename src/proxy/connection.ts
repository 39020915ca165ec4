// The per-client state machine: read a head, route it, then forward (request and response bodies
// streamed by their framing, the client kept alive for the next request), splice an upgrade, or
// tunnel a CONNECT. Parsing, routing, framing and rewriting are pure modules; this file only moves
// bytes between them and the two sockets.

import type { Config } from "../config";
import { ChunkedScanner, requestFraming, responseFraming, type Framing } from "../http/body";
import { errorResponse, HttpError } from "../http/errors";
import {
  decodeHead,
  fieldTokens,
  findHeadEnd,
  parseRequestHead,
  parseResponseHead,
  type RequestHead,
  type ResponseHead,
} from "../http/head-parser";
import { applyAbsoluteForm, serializeRequestHead, serializeResponseHead } from "../http/rewrite";
import { log } from "../log";
import type { Deadlines, Expiring } from "../net/deadlines";
import { Outbox } from "../net/outbox";
import type { ByteSocket } from "../net/socket";
import { Splice } from "../net/splice";
import { isSelfTarget, route, type Target } from "../route";
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
}

const enum Phase {
  /** Waiting for (the rest of) a request head. */
  Head,
  /** A request is being forwarded (connecting, streaming either body, waiting for the response). */
  Exchange,
  /** Upgraded or CONNECT: bytes spliced both ways. */
  Tunnel,
  Closed,
}

const enum Resp {
  Head,
  Body,
  Done,
}

const CONNECT_OK = Buffer.from("HTTP/1.1 200 Connection Established\r\n\r\n", "latin1");
// Head and first body bytes go out in one write when the body part is this small.
const COALESCE_BYTES = 16 * 1024;

const EMPTY = Buffer.alloc(0);

/** A serialised head (latin1) followed by `body`: one allocation, one write. */
function withHead(head: string, body: Uint8Array | null): Buffer {
  const out = Buffer.allocUnsafe(head.length + (body === null ? 0 : body.length));
  out.write(head, 0, "latin1");
  if (body !== null) out.set(body, head.length);
  return out;
}

/** Why a connect failed, as the 502 says it. */
function connectFailure(err: { code?: string; message?: string }): string {
  return err.code === "ECONNREFUSED" ? "refused the connection" : `failed: ${err.code ?? err.message}`;
}

function concat(a: Uint8Array | null, b: Uint8Array): Uint8Array {
  if (a === null || a.length === 0) return b;
  // A Buffer, like every socket read, so the head decoder can slice it directly.
  const out = Buffer.allocUnsafe(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class ClientConnection implements UpstreamOwner, Expiring {
  deadline = 0;
  private phase = Phase.Head;
  private readonly out: Outbox;
  /** Client bytes not yet processed (a partial head, body bytes waiting for upstream, pipelined requests). */
  private inbuf: Uint8Array | null = null;
  private headResume = 0;
  /** The head deadline runs from a head's first byte; later bytes must not extend it (slowloris). */
  private headTimerArmed = false;
  private clientEnded = false;
  private pausedForUpstream = false;
  private pausedForBuffer = false;
  private clientPaused = false;
  /** The upstream is paused because the client's outbox is full. */
  private upstreamPaused = false;

  // The exchange in progress.
  private req: RequestHead | null = null;
  private target: Target | null = null;
  private reqFraming: Framing = { kind: "none" };
  private reqRemaining = 0;
  private reqChunks: ChunkedScanner | null = null;
  private reqDone = true;
  /** The serialised request head, kept until the exchange ends: a retry sends it again. */
  private reqHead: string | null = null;
  private upgrade = false;
  private keepAlive = true;
  private up: Upstream | null = null;
  private connecting = false;
  private retried = false;
  private resp = Resp.Done;
  private respBuf: Uint8Array | null = null;
  private respResume = 0;
  private respFraming: Framing = { kind: "none" };
  private respRemaining = 0;
  private respChunks: ChunkedScanner | null = null;
  private respStarted = false;
  private upstreamReusable = false;
  private tunnel: Splice | null = null;

  constructor(
    readonly socket: ByteSocket,
    private readonly ctx: ProxyContext,
  ) {
    this.out = new Outbox(socket);
    ctx.deadlines.add(this);
    this.armIdle();
  }

  // ---- client socket events -------------------------------------------------------------------

  onData(buf: Buffer): void {
    switch (this.phase) {
      case Phase.Head:
        this.inbuf = concat(this.inbuf, buf);
        this.processInput();
        return;
      case Phase.Exchange:
        this.inbuf = concat(this.inbuf, buf);
        if (!this.reqDone) this.forwardRequestBody();
        this.updateBufferPause();
        return;
      case Phase.Tunnel:
        this.tunnel!.data(0, buf);
        return;
      case Phase.Closed:
        return;
    }
  }

  onDrain(): void {
    if (this.phase === Phase.Tunnel) return this.tunnel!.drain(0);
    if (this.out.flush() && this.up !== null && this.upstreamPaused) {
      this.upstreamPaused = false;
      this.up.socket.resume();
    }
  }

  onEnd(): void {
    this.clientEnded = true;
    if (this.phase === Phase.Tunnel) return this.tunnel!.end(0);
    if (this.phase === Phase.Head) return this.processInput();
    if (this.phase === Phase.Exchange && !this.reqDone) {
      // The request body can never complete: the upstream saw a partial request, drop it.
      this.log("warn", "client closed in the middle of the request body");
      this.abort();
    }
  }

  onClose(): void {
    if (this.phase === Phase.Tunnel) return this.tunnel!.close(0);
    this.teardown();
  }

  /** The single deadline of this connection, whatever the phase: idle, head, connect or first byte. */
  expire(): void {
    if (this.phase === Phase.Head) {
      if (this.inbuf === null || this.inbuf.length === 0) this.closeClient();
      else this.fail(new HttpError(408, "request head not received in time"));
    } else if (this.phase === Phase.Exchange && this.resp === Resp.Head) {
      // The first-byte clock only runs once the whole request is out: a long upload is not a stall,
      // but a body that stops coming for an idle period is, unless the upstream is not taking it.
      if (!this.connecting && !this.reqDone) {
        const idle = this.ctx.config.limits.idleTimeout;
        if (this.pausedForUpstream) return this.arm(idle);
        return this.fail(new HttpError(408, `request body stalled: nothing received for ${idle}s`));
      }
      const t = this.target!;
      const what = this.connecting
        ? `could not connect to upstream ${t.host}:${t.port} within ${this.ctx.config.limits.connectTimeout}s`
        : `upstream ${t.host}:${t.port} did not answer within ${this.ctx.config.limits.upstreamTimeout}s`;
      this.fail(new HttpError(504, what));
    }
  }

  /** Graceful shutdown: idle connections close now, busy ones after their exchange. */
  drainForShutdown(): void {
    if (this.phase === Phase.Head && (this.inbuf === null || this.inbuf.length === 0)) this.closeClient();
  }

  // ---- request side ---------------------------------------------------------------------------

  private processInput(): void {
    while (this.phase === Phase.Head) {
      const buf = this.inbuf;
      if (buf === null || buf.length === 0) {
        if (this.clientEnded || this.ctx.draining) return this.closeClient();
        this.armIdle();
        return;
      }
      const limits = this.ctx.config.limits;
      const span = findHeadEnd(buf, 0, buf.length, this.headResume, limits);
      if (span instanceof HttpError) return this.fail(span);
      if (typeof span === "number") {
        if (this.clientEnded) return this.closeClient();
        if (!this.headTimerArmed) {
          this.headTimerArmed = true;
          this.arm(limits.headTimeout);
        }
        this.headResume = span;
        return;
      }
      this.headResume = 0;
      this.headTimerArmed = false;
      const head = parseRequestHead(decodeHead(buf, span), limits);
      this.inbuf = span.end === buf.length ? null : buf.subarray(span.end);
      if (head instanceof HttpError) return this.fail(head);
      this.startExchange(head);
    }
  }

  private startExchange(head: RequestHead): void {
    applyAbsoluteForm(head);
    const target = route(head, this.ctx.config.upstreamHost);
    if (target instanceof HttpError) return this.fail(target);
    if (isSelfTarget(target, this.ctx.listening, this.ctx.localAddresses, this.ctx.config.upstreamAddresses)) {
      return this.fail(new HttpError(508, `request routed to the proxy itself (${target.host}:${target.port})`));
    }
    this.req = head;
    this.target = target;
    this.phase = Phase.Exchange;
    this.deadline = 0;
    if (head.method === "CONNECT") return this.openTunnel(target);

    const framing = requestFraming(head);
    if (framing instanceof HttpError) return this.fail(framing);
    this.reqFraming = framing;
    this.reqRemaining = framing.kind === "length" ? framing.length : 0;
    this.reqChunks = framing.kind === "chunked" ? new ChunkedScanner(400) : null;
    this.reqDone = framing.kind === "none";
    const connection = fieldTokens(head, "connection");
    this.upgrade = head.lower.includes("upgrade") && connection.includes("upgrade");
    this.keepAlive = head.minor === 1 ? !connection.includes("close") : connection.includes("keep-alive");
    this.reqHead = serializeRequestHead(head, { upgrade: this.upgrade, connection });
    this.resp = Resp.Head;
    this.respStarted = false;
    this.retried = false;
    if (log.level >= 4) log.debug(`${this.peer()} ${head.method} ${head.target} -> ${target.host}:${target.port}`);

    const up = this.ctx.pool.take(UpstreamPool.key(target), this);
    if (up !== null) this.sendRequest(up);
    else this.connectUpstream();
  }

  private connectUpstream(): void {
    const target = this.target!;
    this.connecting = true;
    this.arm(this.ctx.config.limits.connectTimeout);
    const attempt = this.ctx.pool.connect(target, this);
    attempt.then(
      (up) => {
        if (!this.connecting || this.phase !== Phase.Exchange || this.target !== target) return up.close();
        this.connecting = false;
        this.sendRequest(up);
      },
      (err: { code?: string; message?: string }) => {
        if (!this.connecting || this.target !== target) return;
        this.connecting = false;
        this.fail(new HttpError(502, `upstream ${target.host}:${target.port} ${connectFailure(err)}`));
      },
    );
  }

  private sendRequest(up: Upstream): void {
    this.up = up;
    this.upstreamPaused = false;
    this.respBuf = null;
    this.respResume = 0;
    const body = this.takeRequestBody();
    if (body instanceof HttpError) return this.fail(body);
    this.armRequestClock();
    const coalesce = body !== null && body.length <= COALESCE_BYTES;
    this.sendUp(withHead(this.reqHead!, coalesce ? body : null));
    if (body !== null && !coalesce) this.sendUp(body);
    // Bytes held back while connecting are out now.
    this.updateBufferPause();
  }

  /** The request-body bytes available in `inbuf` (consumed), validated against the framing. */
  private takeRequestBody(): Uint8Array | null | HttpError {
    const buf = this.inbuf;
    if (this.reqDone || buf === null || buf.length === 0) return null;
    let n: number;
    if (this.reqChunks !== null) {
      const r = this.reqChunks.scan(buf, 0, buf.length);
      if (r instanceof HttpError) return r;
      n = r;
      this.reqDone = this.reqChunks.done;
    } else {
      n = Math.min(this.reqRemaining, buf.length);
      this.reqRemaining -= n;
      this.reqDone = this.reqRemaining === 0;
    }
    this.inbuf = n === buf.length ? null : buf.subarray(n);
    return n === buf.length ? buf : buf.subarray(0, n);
  }

  private forwardRequestBody(): void {
    if (this.up === null) {
      // Still connecting: keep the bytes, bounded by the buffer pause.
      return;
    }
    const body = this.takeRequestBody();
    if (body instanceof HttpError) return this.fail(body);
    if (body === null) return;
    this.sendUp(body);
    this.armRequestClock();
  }

  /** Awaiting the response: the body must keep coming (idle timeout), then its first byte (upstream timeout). */
  private armRequestClock(): void {
    if (this.resp !== Resp.Head) return;
    const limits = this.ctx.config.limits;
    this.arm(this.reqDone ? limits.upstreamTimeout : limits.idleTimeout);
  }

  private sendUp(data: Uint8Array): void {
    if (!this.up!.out.send(data)) {
      this.pausedForUpstream = true;
      this.updateClientPause();
    }
  }

  // ---- upstream events ------------------------------------------------------------------------

  onUpstreamData(up: Upstream, buf: Buffer): void {
    if (this.phase === Phase.Tunnel) return this.tunnel!.data(1, buf);
    if (up !== this.up) return;
    if (this.resp === Resp.Head) return this.readResponseHead(concat(this.respBuf, buf));
    if (this.resp === Resp.Body) return this.forwardResponseBody(buf);
    // Bytes after a complete response: the upstream is out of step with its own framing.
    this.upstreamReusable = false;
  }

  onUpstreamDrain(up: Upstream): void {
    if (this.phase === Phase.Tunnel) return this.tunnel!.drain(1);
    if (up !== this.up) return;
    if (up.out.flush()) {
      this.pausedForUpstream = false;
      this.updateClientPause();
    }
  }

  onUpstreamEnd(up: Upstream): void {
    if (this.phase === Phase.Tunnel) return this.tunnel!.end(1);
    this.upstreamGone(up);
  }

  onUpstreamClose(up: Upstream): void {
    if (this.phase === Phase.Tunnel) return this.tunnel!.close(1);
    this.upstreamGone(up);
  }

  private upstreamGone(up: Upstream): void {
    if (up !== this.up || this.phase !== Phase.Exchange) return;
    if (this.resp === Resp.Body && this.respFraming.kind === "close") {
      // Close-delimited body: the upstream's EOF is its end.
      this.up = null;
      up.close();
      this.resp = Resp.Done;
      return this.finishExchange();
    }
    if (this.resp === Resp.Head && !this.respStarted) {
      // Part of a head may be buffered, but nothing of it reached the client: still a clean 502.
      const partial = this.respBuf !== null && this.respBuf.length > 0;
      // A pooled connection the server had already closed: a request with no body can go again.
      if (!partial && up.reused && !this.retried && this.reqFraming.kind === "none") {
        this.retried = true;
        this.up = null;
        up.close();
        return this.connectUpstream();
      }
      const t = this.target!;
      this.up = null;
      up.close();
      return this.fail(new HttpError(502, `upstream ${t.host}:${t.port} closed the connection ${partial ? "in the middle of the response head" : "before responding"}`));
    }
    if (this.resp === Resp.Done) {
      // Response complete, request body still streaming: nothing more to relay.
      this.up = null;
      up.close();
      return this.abort();
    }
    this.log("warn", "upstream closed in the middle of the response");
    this.abort();
  }

  // ---- response side --------------------------------------------------------------------------

  /** Interim responses are read in a loop, not by recursion: one read may hold any number of them. */
  private readResponseHead(buf: Uint8Array): void {
    let next: Uint8Array | void = buf;
    while (next !== undefined) next = this.readOneResponseHead(next);
  }

  /** Returns what follows an interim response, to be read as the next head. */
  private readOneResponseHead(buf: Uint8Array): Uint8Array | void {
    const limits = this.ctx.config.limits;
    const span = findHeadEnd(buf, 0, buf.length, this.respResume, limits);
    if (span instanceof HttpError) return this.badResponse(new HttpError(502, `upstream sent an invalid response head: ${span.reason}`));
    if (typeof span === "number") {
      this.respBuf = buf;
      this.respResume = span;
      return;
    }
    this.respBuf = null;
    this.respResume = 0;
    const head = parseResponseHead(decodeHead(buf, span), limits);
    if (head instanceof HttpError) return this.badResponse(head);
    const rest = span.end === buf.length ? EMPTY : buf.subarray(span.end);
    const req = this.req!;
    const connection = fieldTokens(head, "connection");

    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      // Interim responses (100 Continue, 103 Early Hints) are relayed; HTTP/1.0 clients never see them.
      if (req.minor === 1) this.sendClient(withHead(serializeResponseHead(head, { keepAlive: true, clientMinor: 1, connection }), null));
      return rest.length > 0 ? rest : undefined;
    }
    if (head.status === 101) {
      if (!this.upgrade) return this.badResponse(new HttpError(502, "upstream switched protocols on a request that asked for no upgrade"));
      return this.startUpgradeTunnel(head, connection, rest);
    }

    const framing = responseFraming(head, req.method);
    if (framing instanceof HttpError) return this.badResponse(framing);
    this.deadline = 0;
    this.respFraming = framing;
    this.respRemaining = framing.kind === "length" ? framing.length : 0;
    this.respChunks = framing.kind === "chunked" ? new ChunkedScanner(502) : null;
    const upstreamClose = head.minor === 0 || connection.includes("close");
    this.upstreamReusable = !upstreamClose && framing.kind !== "close" && req.minor === 1;
    if (framing.kind === "close" || !this.reqDone || this.ctx.draining) this.keepAlive = false;
    const headText = serializeResponseHead(head, { keepAlive: this.keepAlive, clientMinor: req.minor, connection });
    this.resp = framing.kind === "none" ? Resp.Done : Resp.Body;
    if (this.resp === Resp.Done && rest.length > 0) this.upstreamReusable = false;
    // Validate the first body bytes before anything is sent: while nothing is, a bad body is a 502.
    const body = this.resp === Resp.Body && rest.length > 0 ? this.takeResponseBody(rest) : null;
    if (body instanceof HttpError) return this.badResponse(new HttpError(502, `upstream sent an ${body.reason}`));
    this.respStarted = true;
    const coalesce = body !== null && body.length <= COALESCE_BYTES;
    this.sendClient(withHead(headText, coalesce ? body : null));
    if (body !== null && !coalesce) this.sendClient(body);
    // takeResponseBody may have reached the end of the body.
    if ((this.resp as Resp) === Resp.Done) this.finishExchange();
  }

  /** The part of `buf` that belongs to the response body; flips `resp` to Done at its end. */
  private takeResponseBody(buf: Uint8Array): Uint8Array | HttpError {
    let n: number;
    if (this.respChunks !== null) {
      const r = this.respChunks.scan(buf, 0, buf.length);
      if (r instanceof HttpError) {
        this.log("warn", r.reason);
        return r;
      }
      n = r;
      if (this.respChunks.done) this.resp = Resp.Done;
    } else if (this.respFraming.kind === "length") {
      n = Math.min(this.respRemaining, buf.length);
      this.respRemaining -= n;
      if (this.respRemaining === 0) this.resp = Resp.Done;
    } else {
      n = buf.length;
    }
    if (n < buf.length) this.upstreamReusable = false;
    return n === buf.length ? buf : buf.subarray(0, n);
  }

  private forwardResponseBody(buf: Uint8Array): void {
    const body = this.takeResponseBody(buf);
    if (body instanceof HttpError) return this.abort();
    this.sendClient(body);
    if (this.resp === Resp.Done) this.finishExchange();
  }

  private sendClient(data: Uint8Array): void {
    if (!this.out.send(data) && this.up !== null && !this.upstreamPaused) {
      this.upstreamPaused = true;
      this.up.socket.pause();
    }
  }

  /** Both directions of the exchange are complete (or the response is and the client must go). */
  private finishExchange(): void {
    const up = this.up;
    this.up = null;
    if (up !== null) {
      if (this.upstreamReusable && this.reqDone) {
        if (this.upstreamPaused) up.socket.resume();
        this.ctx.pool.release(up);
      } else {
        up.close();
      }
    }
    this.upstreamPaused = false;
    this.req = null;
    this.reqHead = null;
    // fail() answers only while nothing of a response went out; that is a question about the next
    // exchange now, whose errors (routing, parsing) come before startExchange resets anything.
    this.respStarted = false;
    this.pausedForUpstream = false;
    if (!this.keepAlive || !this.reqDone) {
      this.phase = Phase.Closed;
      this.out.closeWhenFlushed();
      return;
    }
    this.phase = Phase.Head;
    this.updateBufferPause();
    this.processInput();
  }

  // ---- tunnels --------------------------------------------------------------------------------

  private openTunnel(target: Target): void {
    this.connecting = true;
    this.resp = Resp.Head;
    this.arm(this.ctx.config.limits.connectTimeout);
    this.ctx.pool.connect(target, this).then(
      (up) => {
        if (!this.connecting || this.phase !== Phase.Exchange) return up.close();
        this.connecting = false;
        this.deadline = 0;
        this.up = up;
        this.sendClient(CONNECT_OK);
        this.log("info", `tunnel to ${target.host}:${target.port}`);
        this.enterTunnel(up);
      },
      (err: { code?: string; message?: string }) => {
        if (!this.connecting) return;
        this.connecting = false;
        this.fail(new HttpError(502, `CONNECT: upstream ${target.host}:${target.port} ${connectFailure(err)}`));
      },
    );
  }

  private startUpgradeTunnel(head: ResponseHead, connection: string[], rest: Uint8Array): void {
    this.deadline = 0;
    this.sendClient(withHead(serializeResponseHead(head, { keepAlive: true, clientMinor: 1, connection }), null));
    if (rest.length > 0) this.sendClient(rest);
    const t = this.target!;
    this.log("info", `upgrade (${head.values[head.lower.indexOf("upgrade")] ?? "?"}) to ${t.host}:${t.port}`);
    this.enterTunnel(this.up!);
  }

  private enterTunnel(up: Upstream): void {
    this.phase = Phase.Tunnel;
    this.deadline = 0;
    this.ctx.deadlines.remove(this);
    this.pausedForBuffer = false;
    this.pausedForUpstream = false;
    this.updateClientPause();
    this.tunnel = new Splice([this.out, up.out], () => this.teardown());
    // The splice owns the upstream now (its events still arrive here): teardown must not cut it
    // short while bytes queued for it are still flushing.
    this.up = null;
    // Bytes the client sent after the head go first, in order.
    const early = this.inbuf;
    this.inbuf = null;
    if (early !== null && early.length > 0) this.tunnel.data(0, early);
    if (this.clientEnded) this.tunnel.end(0);
  }

  // ---- endings --------------------------------------------------------------------------------

  /** Answer with the proxy's own error if nothing has been sent for this request, then close. */
  private fail(err: HttpError): void {
    if (this.phase === Phase.Closed) return;
    if (this.respStarted) return this.abort();
    this.log(err.status >= 500 ? "warn" : "info", `${err.status} ${err.reason}`);
    this.dropUpstream();
    this.phase = Phase.Closed;
    this.deadline = 0;
    this.out.send(errorResponse(err));
    this.out.closeWhenFlushed();
  }

  private badResponse(err: HttpError): void {
    this.upstreamReusable = false;
    this.fail(err);
  }

  /** Something broke after the response started (or can never complete): close both, no pretending. */
  private abort(): void {
    if (this.phase === Phase.Closed) return;
    this.dropUpstream();
    this.phase = Phase.Closed;
    this.socket.end();
  }

  private closeClient(): void {
    if (this.phase === Phase.Closed) return;
    this.phase = Phase.Closed;
    this.out.closeWhenFlushed();
  }

  private dropUpstream(): void {
    this.connecting = false;
    this.upstreamPaused = false;
    const up = this.up;
    this.up = null;
    up?.close();
  }

  /** The client socket is gone: release everything it held. */
  private teardown(): void {
    this.dropUpstream();
    this.phase = Phase.Closed;
    this.tunnel = null;
    this.inbuf = null;
    this.ctx.deadlines.remove(this);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private arm(seconds: number): void {
    this.deadline = this.ctx.deadlines.after(seconds);
  }

  private armIdle(): void {
    this.arm(this.ctx.config.limits.idleTimeout);
  }

  /** Bytes we cannot pass on yet (pipelined requests, a body while connecting) beyond one head's
   * worth wait in the kernel, not in our memory. */
  private updateBufferPause(): void {
    const waiting = this.phase === Phase.Exchange && (this.reqDone || this.up === null);
    this.pausedForBuffer = waiting && this.inbuf !== null && this.inbuf.length > this.ctx.config.limits.maxHeadBytes;
    this.updateClientPause();
  }

  private updateClientPause(): void {
    const want = this.pausedForBuffer || this.pausedForUpstream;
    if (want === this.clientPaused) return;
    this.clientPaused = want;
    if (want) this.socket.pause();
    else this.socket.resume();
  }

  private peer(): string {
    return this.socket.remoteAddress;
  }

  private log(level: "info" | "warn", msg: string): void {
    const t = this.target;
    log[level](`${this.peer()}${t !== null ? ` -> ${t.host}:${t.port}` : ""}: ${msg}`);
  }
}
