#!/usr/bin/env python3
"""A DNS forwarder that loses what it is told to, for tests and benchmarks of lossy links.

It listens on a loopback address, UDP and TCP, and passes everything to one upstream server, except:
  --drop-query "NAME TYPE"   every UDP datagram asking this question is dropped (repeatable): a test
                             chooses exactly which queries are lost, so it never flakes;
  --stall-connections N      the first N TCP connections are accepted and read, but nothing comes back
                             (a segment lost for good on a pipelined connection);
  --loss P --seed S          each UDP datagram, either way, is dropped with probability P; each chunk of a
                             TCP stream, either way, waits 1 s with probability P (a retransmission after a
                             loss: this kernel has no netem, and a user-space forwarder sees a stream, not
                             segments). The seed makes a run repeatable.
Only loopback addresses are accepted, for listening and upstream.

    lab/lossy.py --listen 127.0.0.30:53 --upstream 127.0.0.10:53 --drop-query "mx2.example.test. A"
"""
import argparse
import asyncio
import ipaddress
import os
import random
import signal
import struct
import sys

TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV", 52: "TLSA"}


def question(packet):
    """(name, type) of a DNS message's first question, or None."""
    try:
        i, labels = 12, []
        while packet[i] != 0:
            n = packet[i]
            labels.append(packet[i + 1 : i + 1 + n].decode("ascii", "replace").lower())
            i += 1 + n
        qtype = struct.unpack("!H", packet[i + 1 : i + 3])[0]
        return ".".join(labels) + ".", TYPES.get(qtype, f"TYPE{qtype}")
    except (IndexError, struct.error):
        return None


def loopback(text):
    host, _, port = text.rpartition(":")
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit(f"lossy.py: {host} is not a loopback address")
    return host, int(port)


class UDP(asyncio.DatagramProtocol):
    def __init__(self, upstream, drops, loss, rng):
        self.upstream, self.drops, self.loss, self.rng = upstream, drops, loss, rng
        self.clients = {}  # client address -> its upstream transport

    def connection_made(self, transport):
        self.transport = transport

    def lost(self):
        return self.loss > 0 and self.rng.random() < self.loss

    def datagram_received(self, data, client):
        if question(data) in self.drops or self.lost():
            return
        upstream = self.clients.get(client)
        if upstream is None:
            loop = asyncio.get_running_loop()
            reply = self

            class Back(asyncio.DatagramProtocol):
                def datagram_received(self, answer, _):
                    if not reply.lost():
                        reply.transport.sendto(answer, client)

            task = loop.create_datagram_endpoint(Back, remote_addr=self.upstream)
            self.clients[client] = asyncio.ensure_future(task)
            upstream = self.clients[client]
        upstream.add_done_callback(lambda f: f.result()[0].sendto(data))


async def pump(reader, writer, loss, rng, stalled=False):
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            if stalled:
                continue
            if loss > 0 and rng.random() < loss:
                await asyncio.sleep(1.0)
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--drop-query", action="append", default=[])
    p.add_argument("--stall-connections", type=int, default=0)
    p.add_argument("--loss", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    listen, upstream = loopback(a.listen), loopback(a.upstream)
    drops = {(n.split()[0].lower(), n.split()[1].upper()) for n in a.drop_query}
    rng = random.Random(a.seed)
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: UDP(upstream, drops, a.loss, rng), local_addr=listen)
    connections = 0

    async def accept(reader, writer):
        nonlocal connections
        connections += 1
        stalled = connections <= a.stall_connections
        try:
            up_reader, up_writer = await asyncio.open_connection(*upstream)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            pump(reader, up_writer, a.loss, rng), pump(up_reader, writer, a.loss, rng, stalled=stalled)
        )

    server = await asyncio.start_server(accept, *listen)
    print(f"lossy.py: {a.listen} -> {a.upstream}", flush=True)
    async with server:
        await asyncio.Event().wait()


if __name__ == "__main__":
    # Ended by a signal at once, whatever is in flight: it is a test tool, and a run waiting on it must not hang.
    # A parent may have started it with these signals blocked (threads of a test runner block them).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: os._exit(0))
    asyncio.run(main())
