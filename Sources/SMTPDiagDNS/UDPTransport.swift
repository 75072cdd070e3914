import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMTPDiagDNSWire

/// Demultiplexes the answers arriving on one shared UDP socket to the queries in flight, by source
/// address and message id, then by question. Anything else is dropped and counted, never accepted.
final class UDPDemuxHandler: ChannelInboundHandler, FlushCoalescing, SweepsTimeouts {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    struct Key: Hashable {
        let address: SocketAddress
        let id: UInt16
    }

    private var pending: [Key: PendingQuery] = [:]
    private(set) var context: ChannelHandlerContext?
    var flushPending = false
    private let statistics: NIOLockedValueBox<DNSClientStatistics>
    private let ids: any MessageIDGenerator

    init(statistics: NIOLockedValueBox<DNSClientStatistics>, ids: any MessageIDGenerator) {
        self.statistics = statistics
        self.ids = ids
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Sends a query with a fresh id that no other query in flight to the same server uses.
    func send(_ p: PendingQuery, address: SocketAddress) {
        guard p.beginRegistration() else { return }
        guard let context else {
            p.fail(.network(server: p.server, transport: .udp, reason: "socket closed"))
            return
        }
        var key = Key(address: address, id: ids.next())
        var tries = 0
        while pending[key] != nil {
            tries += 1
            guard tries < 1000 else {
                p.fail(.network(server: p.server, transport: .udp, reason: "no free message id"))
                return
            }
            key = Key(address: address, id: ids.next())
        }
        do {
            p.payload = try p.encode(id: key.id)
        } catch {
            p.fail(.invalidQuery(error))
            return
        }
        p.udpKey = key
        pending[key] = p
        transmit(p, key: key, context: context)
    }

    private func transmit(_ p: PendingQuery, key: Key, context: ChannelHandlerContext) {
        p.sentAt = .now()
        p.deadline = p.sentAt + p.timeout.timeAmount
        statistics.withLockedValue { $0.sent += 1 }
        let write = context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: key.address, data: p.payload)))
        flushAtEndOfTurn(context)
        write.assumeIsolated().whenFailure { [weak self] error in
            guard let self, self.pending[key] === p else { return }
            self.pending[key] = nil
            p.fail(.network(server: p.server, transport: .udp, reason: "\(error)"))
        }
        scheduleSweep(context)
    }

    var sweep: Scheduled<Void>?

    func expireDue(at now: NIODeadline) -> Bool {
        let expired = pending.filter { $0.value.deadline <= now }
        for (key, p) in expired { expire(key, p) }
        return !pending.isEmpty
    }

    private func expire(_ key: Key, _ p: PendingQuery) {
        guard pending[key] === p else { return }
        if p.attempts <= p.retries, let context {
            p.attempts += 1
            statistics.withLockedValue { $0.retransmissions += 1 }
            transmit(p, key: key, context: context)
            return
        }
        pending[key] = nil
        statistics.withLockedValue { $0.timeouts += 1 }
        p.fail(p.timeoutError)
    }

    func cancel(_ p: PendingQuery) {
        guard let key = p.udpKey, pending[key] === p else { return }
        pending[key] = nil
        p.fail(.cancelled)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let header = Message.peekHeader(envelope.data),
            let p = pending[Key(address: envelope.remoteAddress, id: header.id)]
        else {
            statistics.withLockedValue { $0.unmatched += 1 }
            return
        }
        let key = Key(address: envelope.remoteAddress, id: header.id)
        switch ResponseCheck(envelope.data, for: p) {
        case .accept(let message):
            pending[key] = nil
            statistics.withLockedValue { $0.received += 1 }
            p.succeed(message, size: envelope.data.readableBytes)
        case .malformed(let error):
            p.malformed = error
            statistics.withLockedValue { $0.malformed += 1 }
        case .mismatchedQuestion:
            statistics.withLockedValue { $0.mismatchedQuestion += 1 }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ICMP errors and the like on a shared, unconnected socket belong to no single query: the
        // affected queries time out. The socket stays open.
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopSweep()
        let all = pending
        pending = [:]
        for p in all.values { p.fail(.network(server: p.server, transport: .udp, reason: "socket closed")) }
    }
}

/// A few shared UDP sockets per address family, each bound to an OS-chosen port.
final class UDPSocketPool: Sendable {
    struct Socket: Sendable {
        let channel: Channel
        let handler: NIOLoopBound<UDPDemuxHandler>
    }

    private let group: any EventLoopGroup
    private let statistics: NIOLockedValueBox<DNSClientStatistics>
    private let ids: any MessageIDGenerator
    private let socketsPerFamily: Int
    private let sockets = NIOLockedValueBox<[Bool: EventLoopFuture<[Socket]>]>([:])
    private let counter = NIOLockedValueBox(0)

    init(
        group: any EventLoopGroup, statistics: NIOLockedValueBox<DNSClientStatistics>, ids: any MessageIDGenerator,
        socketsPerFamily: Int
    ) {
        self.group = group
        self.statistics = statistics
        self.ids = ids
        self.socketsPerFamily = max(1, socketsPerFamily)
    }

    /// The open sockets, once they are: most queries then take one without waiting on a future.
    private let ready = NIOLockedValueBox<[Bool: [Socket]]>([:])

    /// One socket for the family when they are open already: the one of the event loop the caller runs on,
    /// if it runs on one (no thread to cross, there or back), else round robin.
    func openSocket(ipv6: Bool) -> Socket? {
        guard let list = ready.withLockedValue({ $0[ipv6] }), !list.isEmpty else { return nil }
        if let mine = list.first(where: { $0.channel.eventLoop.inEventLoop }) { return mine }
        let n = counter.withLockedValue { c -> Int in
            c &+= 1
            return c
        }
        return list[n % list.count]
    }

    /// One socket for the family of `server`, round robin.
    func socket(ipv6: Bool) -> EventLoopFuture<Socket> {
        let future = sockets.withLockedValue { table -> EventLoopFuture<[Socket]> in
            if let f = table[ipv6] { return f }
            let f = open(ipv6: ipv6)
            table[ipv6] = f
            return f
        }
        let n = counter.withLockedValue { c -> Int in
            c &+= 1
            return c
        }
        return future.map { $0[n % $0.count] }
    }

    private func open(ipv6: Bool) -> EventLoopFuture<[Socket]> {
        // At least one socket on every event loop, so that a query made on a loop has a socket there.
        let loops = Array(group.makeIterator())
        let loop = loops[0]
        let opened = (0..<max(socketsPerFamily, loops.count)).map { i -> EventLoopFuture<Socket> in
            let ids = self.ids
            let statistics = self.statistics
            return DatagramBootstrap(group: loops[i % loops.count])
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
                .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
                .channelOption(.maxMessagesPerRead, value: 16)
                // recvmmsg: up to 16 answers a system call, 4,096 octets each (we advertise EDNS 1232).
                .channelOption(.datagramVectorReadMessageCount, value: 16)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            UDPDemuxHandler(statistics: statistics, ids: ids))
                    }
                }
                .bind(host: ipv6 ? "::" : "0.0.0.0", port: 0)
                .flatMap { channel in
                    channel.pipeline.handler(type: UDPDemuxHandler.self).map { handler in
                        Socket(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    }
                }
        }
        let all = EventLoopFuture.whenAllSucceed(opened, on: loop)
        all.whenFailure { [sockets] _ in sockets.withLockedValue { $0[ipv6] = nil } }
        all.whenSuccess { [ready] list in ready.withLockedValue { $0[ipv6] = list } }
        return all
    }

    func close() async {
        ready.withLockedValue { $0 = [:] }
        let all = sockets.withLockedValue { table -> [EventLoopFuture<[Socket]>] in
            defer { table = [:] }
            return Array(table.values)
        }
        for f in all {
            guard let list = try? await f.get() else { continue }
            for s in list { try? await s.channel.close() }
        }
    }
}
