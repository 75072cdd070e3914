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
    /// Queries this socket takes before it asks to be replaced by one on a new port (RFC 5452 §4.5).
    private let quota: Int
    private var sent = 0
    /// Called once, on the loop, when the quota is used up.
    var exhausted: (() -> Void)?
    /// Replaced: no new query is given to it; it closes once its last query is answered or timed out.
    private var retired = false
    /// Closing or closed: from then on every query goes to `successor`.
    private var closing = false
    private var lastSend = NIODeadline.now()
    private var closer: RepeatedTask?

    init(statistics: NIOLockedValueBox<DNSClientStatistics>, ids: any MessageIDGenerator, quota: Int = .max) {
        self.statistics = statistics
        self.ids = ids
        self.quota = max(1, quota)
    }

    /// Where a query that took this socket before it was retired goes once it is closed: a socket of the same
    /// event loop (its `send` runs there too).
    private var successor: UDPDemuxHandler?

    /// No new queries come; close when none is left in flight and none has been sent for a moment. A query that
    /// took this socket just before it was replaced may still be on its way to `send` (queued on a busy loop):
    /// after the close it goes to `successor`.
    func retire(successor: UDPDemuxHandler) {
        guard !retired, let context else { return }
        retired = true
        self.successor = successor
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        closer = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) {
            task in
            let handler = loopBound.value
            guard handler.pending.isEmpty, NIODeadline.now() - handler.lastSend > .milliseconds(250) else { return }
            task.cancel()
            handler.closing = true
            handler.context?.close(promise: nil)
        }
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Sends a query with a fresh id that no other query in flight to the same server uses.
    func send(_ p: PendingQuery, address: SocketAddress) {
        if closing || context == nil, let successor {
            successor.send(p, address: address)
            return
        }
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
        lastSend = .now()
        transmit(p, key: key, context: context)
        sent += 1
        if sent == quota, let exhausted {
            self.exhausted = nil
            exhausted()
        }
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
            p.fail(.network(server: p.server, transport: .udp, reason: describeNetworkError(error)))
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
        closing = true
        stopSweep()
        closer?.cancel()
        let all = pending
        pending = [:]
        for p in all.values { p.fail(.network(server: p.server, transport: .udp, reason: "socket closed")) }
    }
}

/// Shared UDP sockets per address family, each bound to a port the OS chooses at random, without
/// `SO_REUSEADDR` (so no other local socket can bind the same port and take our answers). Each socket takes
/// `queriesPerSocket` queries and is then replaced by one on a new port, so a run's queries leave from many
/// ports and the port is as unpredictable as the message id (RFC 5452 §4.5, §9.2).
final class UDPSocketPool: Sendable {
    struct Socket: Sendable {
        let channel: Channel
        let handler: NIOLoopBound<UDPDemuxHandler>
    }

    private let group: any EventLoopGroup
    private let statistics: NIOLockedValueBox<DNSClientStatistics>
    private let ids: any MessageIDGenerator
    private let socketsPerFamily: Int
    private let queriesPerSocket: Int
    /// The first opening of each family's sockets, which queries made before it completes wait for.
    private let opening = NIOLockedValueBox<[Bool: EventLoopFuture<Void>]>([:])
    /// The sockets queries are given now, by family.
    private let ready = NIOLockedValueBox<[Bool: [Socket]]>([:])
    /// Every socket not yet closed, retired ones included, for `close()`.
    private let live = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])
    private let counter = NIOLockedValueBox(0)

    init(
        group: any EventLoopGroup, statistics: NIOLockedValueBox<DNSClientStatistics>, ids: any MessageIDGenerator,
        socketsPerFamily: Int, queriesPerSocket: Int = 12
    ) {
        self.group = group
        self.statistics = statistics
        self.ids = ids
        self.socketsPerFamily = max(1, socketsPerFamily)
        self.queriesPerSocket = max(1, queriesPerSocket)
    }

    /// A socket for the family when they are open already: one of the event loop the caller runs on, if it
    /// runs on one (no thread to cross, there or back), else any; in turn.
    func openSocket(ipv6: Bool) -> Socket? {
        guard let list = ready.withLockedValue({ $0[ipv6] }), !list.isEmpty else { return nil }
        let n = counter.withLockedValue { c -> Int in
            c &+= 1
            return c
        }
        let mine = list.filter { $0.channel.eventLoop.inEventLoop }
        return mine.isEmpty ? list[n % list.count] : mine[n % mine.count]
    }

    /// A socket for the family, once the first ones are open.
    func socket(ipv6: Bool) -> EventLoopFuture<Socket> {
        let (future, created) = opening.withLockedValue { table -> (EventLoopFuture<Void>, Bool) in
            if let f = table[ipv6] { return (f, false) }
            let f = openAll(ipv6: ipv6)
            table[ipv6] = f
            return (f, true)
        }
        // Outside the lock: a bind that fails at once runs this here (see TCPConnectionPool.connection).
        if created { future.whenFailure { [opening] _ in opening.withLockedValue { $0[ipv6] = nil } } }
        return future.flatMapThrowing { [self] in
            guard let s = openSocket(ipv6: ipv6) else { throw ChannelError.ioOnClosedChannel }
            return s
        }
    }

    private func openAll(ipv6: Bool) -> EventLoopFuture<Void> {
        // Sockets on every event loop, so that a query made on a loop has one there.
        let loops = Array(group.makeIterator())
        let count = max(socketsPerFamily, loops.count)
        let opened = (0..<count).map { i in openOne(ipv6: ipv6, on: loops[i % loops.count]) }
        let all = EventLoopFuture.whenAllSucceed(opened, on: loops[0])
        return all.map { [ready] list in ready.withLockedValue { $0[ipv6] = list } }
    }

    private func openOne(ipv6: Bool, on loop: any EventLoop) -> EventLoopFuture<Socket> {
        let ids = self.ids
        let statistics = self.statistics
        let quota = queriesPerSocket
        return DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            // recvmmsg: up to 8 answers a system call, 2,048 octets each (we advertise EDNS 1232, so no answer is
            // larger). Small, because a run opens a socket every dozen queries: at 64 KiB a socket, the sockets
            // alive at once held 50 MB more on the 1,000-domain fleet (measured).
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 16_384))
            .channelOption(.maxMessagesPerRead, value: 8)
            .channelOption(.datagramVectorReadMessageCount, value: 8)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        UDPDemuxHandler(statistics: statistics, ids: ids, quota: quota))
                }
            }
            .bind(host: ipv6 ? "::" : "0.0.0.0", port: 0)
            .flatMap { [self] channel in
                channel.pipeline.handler(type: UDPDemuxHandler.self).map { handler in
                    let socket = Socket(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    let key = ObjectIdentifier(channel)
                    self.live.withLockedValue { $0[key] = channel }
                    channel.closeFuture.whenComplete { [live = self.live] _ in live.withLockedValue { $0[key] = nil } }
                    handler.exhausted = { [weak self] in self?.replace(socket, ipv6: ipv6) }
                    return socket
                }
            }
    }

    /// Replaces an exhausted socket by one on a new port, on the same loop. When the loop has other sockets,
    /// the old one is taken out of use at once; otherwise it goes on serving until the new one is open, so
    /// that there is always a socket. A retired socket closes once its queries are done.
    private func replace(_ old: Socket, ipv6: Bool) {
        let loop = old.channel.eventLoop
        let neighbour = ready.withLockedValue { table -> Socket? in
            guard var list = table[ipv6], let i = list.firstIndex(where: { $0.channel === old.channel }),
                let other = list.first(where: { $0.channel !== old.channel && $0.channel.eventLoop === loop })
            else { return nil }
            list.remove(at: i)
            table[ipv6] = list
            return other
        }
        let removed = neighbour != nil
        if let neighbour { old.handler.value.retire(successor: neighbour.handler.value) }
        openOne(ipv6: ipv6, on: loop).whenComplete { [ready] result in
            guard case .success(let fresh) = result else {
                // No new socket (descriptors exhausted?): the old one, if still in use, asks again after its
                // next quota.
                if !removed { old.handler.value.exhausted = { [weak self] in self?.replace(old, ipv6: ipv6) } }
                return
            }
            let placed = ready.withLockedValue { table -> Bool in
                guard var list = table[ipv6] else { return false }  // the pool was closed meanwhile
                if let i = list.firstIndex(where: { $0.channel === old.channel }) {
                    list[i] = fresh
                } else {
                    list.append(fresh)
                }
                table[ipv6] = list
                return true
            }
            if !placed {
                fresh.channel.close(promise: nil)
            } else if !removed {
                old.handler.value.retire(successor: fresh.handler.value)
            }
        }
    }

    func close() async {
        ready.withLockedValue { $0 = [:] }
        let channels = live.withLockedValue { Array($0.values) }
        for c in channels { try? await c.close() }
        let pending = opening.withLockedValue { table -> [EventLoopFuture<Void>] in
            defer { table = [:] }
            return Array(table.values)
        }
        for f in pending { try? await f.get() }
        // Sockets that finished opening while the first were closed.
        for c in live.withLockedValue({ Array($0.values) }) { try? await c.close() }
    }
}
