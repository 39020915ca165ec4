"""A plain TCP echo server for the CONNECT check: every byte read is written back; when the client
half-closes, the server finishes writing and half-closes too. Blocking sendall gives backpressure.

    python3 scripts/e2e/tcp-echo.py <port>
"""
import socket
import socketserver
import sys


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                break
            self.request.sendall(data)
        self.request.shutdown(socket.SHUT_WR)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True


port = int(sys.argv[1])
with Server(("127.0.0.1", port), Echo) as server:
    print(f"tcp-echo listening on {server.server_address[0]}:{server.server_address[1]}", flush=True)
    server.serve_forever()
