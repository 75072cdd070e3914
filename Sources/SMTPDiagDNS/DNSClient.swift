import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMTPDiagDNSWire

/// Sends one query to one server over the transport the caller picks, and returns the matching
/// answer or an error with its context. Thread-safe; thousands of queries may be in flight at once.
public final class DNSClient: Sendable {
    private let group: any EventLoopGroup
    private let statisticsBox = NIOLockedValueBox(DNSClientStatistics())
    private let udp: UDPSocketPool
    private let tcp: TCPConnectionPool

    /// - Parameters:
    ///   - group: the event loops to run on (the shared singleton by default).
    ///   - ids: where message ids come from (random by default).
    ///   - udpSocketsPerFamily: shared UDP sockets per address family, each on an OS-chosen port.
    public init(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        ids: any MessageIDGenerator = RandomMessageIDGenerator(), udpSocketsPerFamily: Int = 2
    ) {
        self.group = group
        self.udp = UDPSocketPool(
            group: group, statistics: statisticsBox, ids: ids, socketsPerFamily: udpSocketsPerFamily)
        self.tcp = TCPConnectionPool(group: group, statistics: statisticsBox, ids: ids)
    }

    public var statistics: DNSClientStatistics { statisticsBox.withLockedValue { $0 } }

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
        let message = Message(
            header: Header(id: 0, recursionDesired: options.recursionDesired), questions: [question],
            edns: options.edns)
        switch transport {
        case .udp:
            return try await queryUDP(message, server: server, options: options)
        case .tcp:
            do {
                return try await queryTCP(message, server: server, options: options, fresh: false)
            } catch .connectionClosed {
                // The server may close an idle connection just as we reuse it (RFC 7766 §6.2.3): one retry on
                // a new connection.
                return try await queryTCP(message, server: server, options: options, fresh: true)
            }
        }
    }

    private func queryUDP(_ message: Message, server: DNSServerAddress, options: DNSQueryOptions)
        async throws(DNSClientError) -> DNSResponse
    {
        let address: SocketAddress
        do {
            address = try server.socketAddress()
        } catch {
            throw .network(server: server, transport: .udp, reason: "\(error)")
        }
        let socket: UDPSocketPool.Socket
        do {
            socket = try await udp.socket(ipv6: server.isIPv6).get()
        } catch {
            throw .network(server: server, transport: .udp, reason: "cannot open a UDP socket: \(error)")
        }
        let loop = socket.channel.eventLoop
        let promise = loop.makePromise(of: DNSResponse.self)
        let key = NIOLockedValueBox<UDPDemuxHandler.Key?>(nil)
        let handler = socket.handler
        return try await Self.await(promise.futureResult) {
            loop.execute {
                key.withLockedValue {
                    $0 = handler.value.send(message, to: server, address: address, options: options, promise: promise)
                }
            }
        } onCancel: {
            loop.execute { if let k = key.withLockedValue({ $0 }) { handler.value.cancel(k) } }
        }
    }

    private func queryTCP(_ message: Message, server: DNSServerAddress, options: DNSQueryOptions, fresh: Bool)
        async throws(DNSClientError) -> DNSResponse
    {
        let connection: TCPConnectionPool.Connection
        do {
            connection = try await tcp.connection(to: server, fresh: fresh).get()
        } catch {
            throw TCPConnectionPool.classify(error, server: server)
        }
        let loop = connection.channel.eventLoop
        let promise = loop.makePromise(of: DNSResponse.self)
        let id = NIOLockedValueBox<UInt16?>(nil)
        let handler = connection.handler
        return try await Self.await(promise.futureResult) {
            loop.execute { id.withLockedValue { $0 = handler.value.send(message, options: options, promise: promise) } }
        } onCancel: {
            loop.execute { if let i = id.withLockedValue({ $0 }) { handler.value.cancel(i) } }
        }
    }

    private static func await(
        _ future: EventLoopFuture<DNSResponse>, start: () -> Void, onCancel: @escaping @Sendable () -> Void
    ) async throws(DNSClientError) -> DNSResponse {
        do {
            return try await withTaskCancellationHandler {
                start()
                return try await future.get()
            } onCancel: {
                onCancel()
            }
        } catch let error as DNSClientError {
            throw error
        } catch {
            throw .network(server: DNSServerAddress(host: "?"), transport: .udp, reason: "\(error)")
        }
    }

    /// Closes every socket; queries in flight fail.
    public func shutdown() async {
        await udp.close()
        await tcp.close()
    }
}
