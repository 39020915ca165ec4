// TCP sink for the tunnel scenario. A client first sends "PUSH <n>\n", then n bytes; the sink
// answers "done\n" once it has counted them all. The count, not a half-close, ends the transfer, so
// every relay (including nginx's stream module, which closes both ways on one FIN) is timed alike.
// Usage: bun bench/servers/tcp-sink.ts <port>
export {}; // a module, so its top-level names stay its own
type Sink = { head: string; expected: number; received: number };

const port = Number(process.argv[2]);
const decoder = new TextDecoder();

Bun.listen<Sink>({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(s) {
      s.data = { head: "", expected: -1, received: 0 };
    },
    data(s, bytes) {
      const st = s.data;
      let body = bytes.length;
      if (st.expected < 0) {
        // The head is a few bytes; it may still arrive split, so collect it until the newline.
        const nl = bytes.indexOf(10);
        st.head += decoder.decode(nl < 0 ? bytes : bytes.subarray(0, nl));
        if (nl < 0) return;
        const m = /^PUSH (\d+)$/.exec(st.head);
        if (!m) {
          s.end("bad head\n");
          return;
        }
        st.expected = Number(m[1]);
        body = bytes.length - nl - 1;
      }
      st.received += body;
      if (st.received >= st.expected) s.write("done\n");
    },
  },
});
console.log(`tcp-sink listening on 127.0.0.1:${port}`);
