#!/usr/bin/env python3
# A local HTTP server for the download tests: serves files from a directory and misbehaves on request.
#
#   /files/NAME             the file, whole
#   /missing/NAME           404
#   /truncate/NAME          announces the full length, sends half the body, closes the connection
#   /flaky/N/KEY/NAME       503 for the first N requests of KEY, then the file
#   /stall/NAME             announces the file, then sends nothing for 10 seconds
#   /huge/NAME              announces 1 TiB, then sends zeros (64 MiB at most) until the client hangs up
#   /private/NAME           the file for HTTP Basic user "reader", password "pw"; 401 otherwise
#   /endless/NAME           announces no length, sends zeros (64 MiB at most) until the client hangs up
#
# Binds 127.0.0.1 on a free port and prints that port on the first line of stdout.
import http.server
import os
import sys
import threading
import time

root = sys.argv[1]
failures = {}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_file(self, name, truncate=False):
        path = os.path.join(root, os.path.basename(name))
        if not os.path.isfile(path):
            return self.send_status(404)
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if truncate:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
        else:
            self.wfile.write(body)

    def send_status(self, code):
        body = f"status {code}\n".encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if parts[0] == "files" and len(parts) == 2:
            return self.send_file(parts[1])
        if parts[0] == "truncate" and len(parts) == 2:
            return self.send_file(parts[1], truncate=True)
        if parts[0] == "stall" and len(parts) == 2:
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.flush()
            time.sleep(10)
            self.close_connection = True
            return
        if parts[0] == "private" and len(parts) == 2:
            if self.headers.get("Authorization") != "Basic cmVhZGVyOnB3":
                return self.send_status(401)
            return self.send_file(parts[1])
        if parts[0] in ("huge", "endless") and len(parts) == 2:
            self.send_response(200)
            if parts[0] == "huge":
                self.send_header("Content-Length", str(1 << 40))
            self.end_headers()
            self.close_connection = True
            try:
                for _ in range(64):
                    self.wfile.write(bytes(1 << 20))
            except OSError:
                pass
            return
        if parts[0] == "flaky" and len(parts) == 4:
            with lock:
                seen = failures.get(parts[2], 0)
                failures[parts[2]] = seen + 1
            if seen < int(parts[1]):
                return self.send_status(503)
            return self.send_file(parts[3])
        return self.send_status(404)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
