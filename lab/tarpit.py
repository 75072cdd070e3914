#!/usr/bin/env python3
"""A lab SMTP host whose banner never comes: accepts connections on ADDRESS:PORT and says nothing,
holding each connection until the client gives up. Started by `scripts/lab up` on 127.0.0.14:25."""
import socket
import sys
import threading
import time

address, port = sys.argv[1], int(sys.argv[2])
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((address, port))
server.listen(128)


def hold(conn):
    conn.settimeout(600)
    try:
        while conn.recv(4096):
            pass  # read and ignore; never answer
    except OSError:
        pass
    finally:
        conn.close()


while True:
    conn, _ = server.accept()
    threading.Thread(target=hold, args=(conn,), daemon=True).start()
