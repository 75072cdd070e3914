import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMTPDiagDNSWire

/// Sends one query to one server over the transport the caller picks, and returns the matching
/// answer or an error with its context. Thread-safe; thousands of queries may be in flight at once.
public final class DNSClient: Sendable {
    private let group: any EventLoopGroup
    private let statisticsBox = NIOLockedValueBox(DNSClientStatistics())
    /// Servers' socket addresses, parsed once (a handful of servers, asked hundreds of thousands of times).
    private let addresses = NIOLockedValueBox<[DNSServerAddress: SocketAddress]>([:])
    private let udp: UDPSocketPool
    private let tcp: TCPConnectionPool

    /// - Parameters:
    ///   - group: the event loops to run on (the shared singleton by default).
    ///   - ids: where message ids come from (random by default).
    ///   - udpSocketsPerFamily: UDP sockets in use at once per address family (at least one per event loop), each
    ///     on a port the OS chooses and replaced by one on a new port after a few queries.
    public init(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        ids: any MessageIDGenerator = RandomMessageIDGenerator(), udpSocketsPerFamily: Int = 8
    ) {
        self.group = group
        self.udp = UDPSocketPool(
            group: group, statistics: statisticsBox, ids: ids, socketsPerFamily: udpSocketsPerFamily)
        self.tcp = TCPConnectionPool(group: group, statistics: statisticsBox, ids: ids)
    }

    public var statistics: DNSClientStatistics { statisticsBox.withLockedValue { $0 } }

    /// One task executor per event loop of the client. A task that prefers one of them runs on that loop's
    /// thread, and its queries go out on that loop's socket and come back to it: no thread is woken for a
    /// query or its answer (waking the other threads was a fifth of the client's time, in futex calls).
    public var taskExecutors: [any TaskExecutor] {
        group.makeIterator().compactMap { loop in
            (loop as? any NIOSerialEventLoopExecutor).map { EventLoopTaskExecutor(loop: $0) }
        }
    }

    /// Asks `server` one question over `transport`.
    public func query(
        _ name: DomainName, _ type: RecordType, server: DNSServerAddress, transport: DNSTransport,
        options: DNSQueryOptions = DNSQueryOptions()
    ) async throws(DNSClientError) -> DNSResponse {
        try await query(Question(name: name, type: type), server: server, transport: transport, options: options)
    }

    public func query(
        _ question: Question, server: DNSServerAddress, transport: DNSTransport,
        options: DNSQueryOptions = DNSQueryOptions()
    ) async throws(DNSClientError) -> DNSResponse {
        if Task.isCancelled { throw .cancelled }
        switch transport {
        case .udp:
            return try await queryUDP(question, server: server, options: options)
        case .tcp:
            // A retry goes to another connection than the one that failed: the server may close an idle
            // connection just as we reuse it (RFC 7766 §6.2.3: one retry), and a segment lost on a pipelined
            // connection stalls every query behind it (a timeout: up to `retries` more tries, as over UDP).
            var used: Channel? = nil
            var closedRetried = false
            var timeouts = 0
            while true {
                let failed = used
                do {
                    return try await queryTCP(question, server: server, options: options, avoiding: failed, used: &used)
                } catch .connectionClosed where !closedRetried {
                    closedRetried = true
                } catch .timeout(let s, let t, _, let d) {
                    timeouts += 1
                    guard timeouts <= options.retries, !Task.isCancelled else {
                        throw .timeout(server: s, transport: t, attempts: timeouts, timeout: d)
                    }
                }
            }
        }
    }

    private func queryUDP(_ question: Question, server: DNSServerAddress, options: DNSQueryOptions)
        async throws(DNSClientError) -> DNSResponse
    {
        let address: SocketAddress
        if let known = addresses.withLockedValue({ $0[server] }) {
            address = known
        } else {
            do {
                address = try server.socketAddress()
            } catch {
                throw .network(server: server, transport: .udp, reason: "\(error)")
            }
            addresses.withLockedValue { $0[server] = address }
        }
        let socket: UDPSocketPool.Socket
        do {
            if let open = udp.openSocket(ipv6: server.isIPv6) {
                socket = open
            } else {
                socket = try await udp.socket(ipv6: server.isIPv6).get()
            }
        } catch {
            throw .network(
                server: server, transport: .udp, reason: "cannot open a UDP socket: \(describeNetworkError(error))")
        }
        let handler = socket.handler
        let loop = socket.channel.eventLoop
        let query = PendingQuery(question: question, server: server, transport: .udp, options: options)
        return try await query.wait(on: loop) {
            handler.value.send($0, address: address)
        } cancel: {
            handler.value.cancel($0)
        }
    }

    /// One try over TCP, on a connection other than `avoiding` (the one the previous try failed on); `used` is
    /// set to the connection this try took.
    private func queryTCP(
        _ question: Question, server: DNSServerAddress, options: DNSQueryOptions, avoiding: Channel?,
        used: inout Channel?
    ) async throws(DNSClientError) -> DNSResponse {
        let connection: TCPConnectionPool.Connection
        if let open = tcp.openConnection(to: server), open.channel !== avoiding {
            connection = open
        } else {
            do {
                connection = try await tcp.connection(to: server, avoiding: avoiding, timeout: options.timeout).get()
            } catch {
                throw TCPConnectionPool.classify(error, server: server, timeout: options.timeout)
            }
        }
        used = connection.channel
        let handler = connection.handler
        let loop = connection.channel.eventLoop
        let query = PendingQuery(question: question, server: server, transport: .tcp, options: options)
        return try await query.wait(on: loop) {
            handler.value.send($0)
        } cancel: {
            handler.value.cancel($0)
        }
    }

    /// Closes every socket; queries in flight fail.
    public func shutdown() async {
        await udp.close()
        await tcp.close()
    }
}

/// Runs a task's jobs on an event loop (NIO queues a job without allocating, and without waking the loop
/// when the job is queued from the loop itself).
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any NIOSerialEventLoopExecutor

    init(loop: any NIOSerialEventLoopExecutor) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) { loop.enqueue(job) }
}
