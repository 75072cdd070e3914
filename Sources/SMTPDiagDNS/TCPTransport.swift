import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMTPDiagDNSWire

/// A network error in words: `network unreachable (errno 101)`, not NIO's `sendmsg(descriptor:...) errno: 101`.
func describeNetworkError(_ error: any Error) -> String {
    if let io = error as? IOError {
        return "\(String(cString: strerror(io.errnoCode)).lowercased()) (errno \(io.errnoCode))"
    }
    return "\(error)"
}

/// Matches framed answers on one TCP connection to the queries pipelined on it (RFC 7766 §6.2.1),
/// by id and then question.
final class TCPDemuxHandler: ChannelInboundHandler, FlushCoalescing, SweepsTimeouts {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var pending: [UInt16: PendingQuery] = [:]
    private(set) var context: ChannelHandlerContext?
    private var closed = false
    var flushPending = false
    private let server: DNSServerAddress
    private let statistics: NIOLockedValueBox<DNSClientStatistics>
    private let ids: any MessageIDGenerator

    init(server: DNSServerAddress, statistics: NIOLockedValueBox<DNSClientStatistics>, ids: any MessageIDGenerator) {
        self.server = server
        self.statistics = statistics
        self.ids = ids
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    var isUsable: Bool { !closed && context != nil }

    func send(_ p: PendingQuery) {
        guard p.beginRegistration() else { return }
        guard let context, !closed else {
            p.fail(.connectionClosed(server: server))
            return
        }
        var candidate = ids.next()
        var tries = 0
        while pending[candidate] != nil {
            tries += 1
            guard tries < 1000 else {
                p.fail(.network(server: server, transport: .tcp, reason: "no free message id"))
                return
            }
            candidate = ids.next()
        }
        let id = candidate
        // The query is encoded after two octets for its length, which are then filled in.
        var framed: ByteBuffer
        do {
            framed = try p.encode(id: id, reserve: 2)
        } catch {
            p.fail(.invalidQuery(error))
            return
        }
        guard DNSTCPFrameParser.frameInPlace(&framed) else {
            p.fail(.invalidQuery(.messageTooLarge(size: framed.readableBytes)))
            return
        }
        p.tcpID = id
        pending[id] = p
        statistics.withLockedValue { $0.sent += 1 }
        p.sentAt = .now()
        p.deadline = p.sentAt + p.timeout.timeAmount
        flushAtEndOfTurn(context)
        context.write(wrapOutboundOut(framed)).assumeIsolated().whenFailure { [weak self] error in
            guard let self, self.pending[id] === p else { return }
            self.pending[id] = nil
            p.fail(.network(server: self.server, transport: .tcp, reason: describeNetworkError(error)))
        }
        scheduleSweep(context)
    }

    var sweep: Scheduled<Void>?

    func expireDue(at now: NIODeadline) -> Bool {
        let expired = pending.filter { $0.value.deadline <= now }
        for (id, p) in expired where pending[id] === p {
            pending[id] = nil
            statistics.withLockedValue { $0.timeouts += 1 }
            p.fail(p.timeoutError)
        }
        return !pending.isEmpty
    }

    func cancel(_ p: PendingQuery) {
        guard let id = p.tcpID, pending[id] === p else { return }
        pending[id] = nil
        p.fail(.cancelled)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let header = Message.peekHeader(frame), let p = pending[header.id] else {
            statistics.withLockedValue { $0.unmatched += 1 }
            return
        }
        switch ResponseCheck(frame, for: p) {
        case .accept(let message):
            pending[header.id] = nil
            statistics.withLockedValue { $0.received += 1 }
            p.succeed(message, size: frame.readableBytes)
        case .malformed(let error):
            // On TCP nobody can inject into the stream: a broken answer to our id is the server's.
            pending[header.id] = nil
            statistics.withLockedValue { $0.malformed += 1 }
            p.fail(.malformedResponse(server: server, transport: .tcp, error: error))
        case .mismatchedQuestion:
            statistics.withLockedValue { $0.mismatchedQuestion += 1 }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(.network(server: server, transport: .tcp, reason: describeNetworkError(error)))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionClosed(server: server))
        context.fireChannelInactive()
    }

    private func failAll(_ error: DNSClientError) {
        closed = true
        stopSweep()
        let all = pending
        pending = [:]
        for p in all.values { p.fail(error) }
    }
}

/// One pipelining TCP connection per server, opened on first use and replaced once closed.
final class TCPConnectionPool: Sendable {
    struct Connection: Sendable {
        let channel: Channel
        let handler: NIOLoopBound<TCPDemuxHandler>
    }

    private let group: any EventLoopGroup
    private let statistics: NIOLockedValueBox<DNSClientStatistics>
    private let ids: any MessageIDGenerator
    /// A connection per server, and per event loop for queries made on one (so that they cross no thread).
    struct Key: Hashable {
        let server: DNSServerAddress
        let loop: ObjectIdentifier?
    }
    private let connections = NIOLockedValueBox<[Key: EventLoopFuture<Connection>]>([:])
    private let loops: [any EventLoop]

    init(group: any EventLoopGroup, statistics: NIOLockedValueBox<DNSClientStatistics>, ids: any MessageIDGenerator) {
        self.group = group
        self.statistics = statistics
        self.ids = ids
        self.loops = Array(group.makeIterator())
    }

    /// The event loop of the group the caller runs on, if any.
    private var currentLoop: (any EventLoop)? { loops.first { $0.inEventLoop } }

    private func key(_ server: DNSServerAddress, _ loop: (any EventLoop)?) -> Key {
        Key(server: server, loop: loop.map { ObjectIdentifier($0 as AnyObject) })
    }

    /// The connections once open, so that most queries take theirs without waiting on a future.
    private let ready = NIOLockedValueBox<[Key: Connection]>([:])

    /// The open connection to `server` (on the caller's event loop when it runs on one), if there is one.
    func openConnection(to server: DNSServerAddress) -> Connection? {
        let k = key(server, currentLoop)
        return ready.withLockedValue { $0[k] }
    }

    /// The connection to `server`, opened within `timeout`: the current one, unless it is `avoiding` (a try
    /// failed on it), and then a new one that takes its place for the queries after.
    func connection(to server: DNSServerAddress, avoiding: Channel?, timeout: Duration) -> EventLoopFuture<Connection> {
        let loop = currentLoop
        let k = key(server, loop)
        // The current connection is to be avoided only when it is the established one a try failed on; one still
        // opening is new.
        let current = ready.withLockedValue { $0[k] }
        let replace = avoiding != nil && current?.channel === avoiding
        // New queries no longer take the stalled connection; the queries already on it keep their own deadlines.
        if replace { ready.withLockedValue { r in if r[k]?.channel === avoiding { r[k] = nil } } }
        let (f, created) = connections.withLockedValue { table -> (EventLoopFuture<Connection>, Bool) in
            if !replace, let existing = table[k] { return (existing, false) }
            let f = open(server, on: loop ?? group.next(), timeout: timeout)
            table[k] = f
            return (f, true)
        }
        guard created else { return f }
        // Callbacks only once the lock is let go of: a connect that fails at once (network unreachable) runs
        // them right here, and taking the lock again inside itself deadlocked the event loop (the run never
        // ended, and neither its deadline nor Ctrl-C could end it).
        // A failed or closed connection leaves the tables, so the next query opens a new one.
        f.whenFailure { [connections] _ in
            connections.withLockedValue { t in if t[k] === f { t[k] = nil } }
        }
        f.whenSuccess { [connections, ready] c in
            let current = connections.withLockedValue { t in t[k] === f }
            if current { ready.withLockedValue { $0[k] = c } }
            c.channel.closeFuture.whenComplete { _ in
                connections.withLockedValue { t in if t[k] === f { t[k] = nil } }
                ready.withLockedValue { r in if r[k]?.channel === c.channel { r[k] = nil } }
            }
        }
        return f
    }

    private func open(_ server: DNSServerAddress, on loop: any EventLoop, timeout: Duration)
        -> EventLoopFuture<Connection>
    {
        let address: SocketAddress
        do {
            address = try server.socketAddress()
        } catch {
            return loop.makeFailedFuture(DNSClientError.network(server: server, transport: .tcp, reason: "\(error)"))
        }
        let statistics = self.statistics
        let ids = self.ids
        return ClientBootstrap(group: loop)
            .connectTimeout(timeout.timeAmount)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        TCPDemuxHandler(server: server, statistics: statistics, ids: ids))
                }
            }
            .connect(to: address)
            .flatMapError { error in
                // A connection not made in time is a timeout like an answer not had in time, and counted so.
                let failure = Self.classify(error, server: server, timeout: timeout)
                if case .timeout = failure { statistics.withLockedValue { $0.timeouts += 1 } }
                return loop.makeFailedFuture(failure)
            }
            .flatMap { channel in
                channel.pipeline.handler(type: TCPDemuxHandler.self).map { handler in
                    Connection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
    }

    static func classify(_ error: any Error, server: DNSServerAddress, timeout: Duration) -> DNSClientError {
        if let e = error as? DNSClientError { return e }
        if let io = error as? IOError, io.errnoCode == ECONNREFUSED {
            return .connectionRefused(server: server, transport: .tcp)
        }
        if "\(error)".contains("refused") { return .connectionRefused(server: server, transport: .tcp) }
        if error is ChannelError, case .connectTimeout = error as? ChannelError {
            return .timeout(server: server, transport: .tcp, attempts: 1, timeout: timeout)
        }
        return .network(server: server, transport: .tcp, reason: describeNetworkError(error))
    }

    func close() async {
        ready.withLockedValue { $0 = [:] }
        let all = connections.withLockedValue { table -> [EventLoopFuture<Connection>] in
            defer { table = [:] }
            return Array(table.values)
        }
        for f in all {
            if let c = try? await f.get() { try? await c.channel.close() }
        }
    }
}
