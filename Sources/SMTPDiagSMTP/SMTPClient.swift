import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SMTPDiagSMTPWire

/// How STARTTLS verifies the server.
public struct SMTPTLSSettings: Hashable, Sendable {
    /// Verify the chain and the host name (the MX exchange name).
    public var verify: Bool
    /// Extra trust anchors (PEM), besides the system roots.
    public var caFile: String?
    /// The oldest protocol version offered: TLS 1.2 unless a spec asks to probe older servers.
    public var minimumVersion: SMTPTLSVersion

    public init(verify: Bool = true, caFile: String? = nil, minimumVersion: SMTPTLSVersion = .tls12) {
        self.verify = verify
        self.caFile = caFile
        self.minimumVersion = minimumVersion
    }
}

/// A TLS protocol version, as a spec names it (`tls_min_version: "1.2"`).
public enum SMTPTLSVersion: String, Hashable, Sendable, CaseIterable {
    case tls10 = "1.0"
    case tls11 = "1.1"
    case tls12 = "1.2"
    case tls13 = "1.3"

    var nio: TLSVersion {
        switch self {
        case .tls10: return .tlsv1
        case .tls11: return .tlsv11
        case .tls12: return .tlsv12
        case .tls13: return .tlsv13
        }
    }
}

/// Runs SMTP sessions over SwiftNIO: one address and port a session, never more than
/// `maxSessionsPerAddress` at once to one address.
public final class SMTPClient: Sendable {
    private let group: any EventLoopGroup
    private let limiter: SMTPHostLimiter

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, maxSessionsPerAddress: Int = 2) {
        self.group = group
        self.limiter = SMTPHostLimiter(limit: maxSessionsPerAddress)
    }

    /// Runs one session and returns its record; never throws: every failure is in `record.failure`.
    /// - Parameters:
    ///   - address: an IPv4 or IPv6 literal.
    ///   - serverName: the MX exchange name, for TLS SNI and host name verification.
    public func session(
        address: String, port: Int, serverName: String?, configuration: SMTPSessionConfiguration,
        tls: SMTPTLSSettings = SMTPTLSSettings()
    ) async -> SMTPSessionRecord {
        await limiter.withPermit(for: "\(address)|\(port)") {
            await run(address: address, port: port, serverName: serverName, configuration: configuration, tls: tls)
        }
    }

    private func run(
        address: String, port: Int, serverName: String?, configuration: SMTPSessionConfiguration, tls: SMTPTLSSettings
    ) async -> SMTPSessionRecord {
        var machine = SMTPSessionStateMachine(configuration: configuration, clock: ContinuousClock())
        machine.connecting()
        let loop = group.next()
        let socketAddress: SocketAddress
        do {
            socketAddress = try SocketAddress(ipAddress: address, port: port)
        } catch {
            _ = machine.connectFailed("\(address) is not an IP address")
            return machine.record
        }
        let tlsContext: Result<NIOSSLContext, Error>? =
            configuration.starttls == .off ? nil : Result { try Self.makeContext(tls) }
        let promise = loop.makePromise(of: SMTPSessionRecord.self)
        let peer = address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        let initial = machine
        let connectTimeout = configuration.connectTimeout
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(
                .nanoseconds(
                    Int64(connectTimeout.components.seconds) * 1_000_000_000 + connectTimeout.components.attoseconds
                        / 1_000_000_000)
            )
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPSessionHandler(
                            machine: initial, peer: peer, serverName: serverName, tlsContext: tlsContext,
                            verify: tls.verify, minimumVersion: tls.minimumVersion, promise: promise))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(to: socketAddress).get()
        } catch {
            _ = machine.connectFailed(Self.describe(error))
            promise.succeed(machine.record)
            return machine.record
        }
        return await withTaskCancellationHandler {
            (try? await promise.futureResult.get()) ?? machine.record
        } onCancel: {
            channel.pipeline.fireUserInboundEventTriggered(SMTPSessionHandler.Cancel())
        }
    }

    static func makeContext(_ tls: SMTPTLSSettings) throws -> NIOSSLContext {
        var config = TLSConfiguration.makeClientConfiguration()
        config.minimumTLSVersion = tls.minimumVersion.nio
        if tls.verify {
            // The chain here; the host name after the handshake, by `nameProblem`.
            config.certificateVerification = .noHostnameVerification
            if let ca = tls.caFile { config.additionalTrustRoots = [.file(ca)] }
        } else {
            config.certificateVerification = .none
        }
        return try NIOSSLContext(configuration: config)
    }

    static func describe(_ error: Error) -> String {
        if let io = error as? IOError {
            if io.errnoCode == ECONNREFUSED { return "connection refused" }
            return "\(String(cString: strerror(io.errnoCode)).lowercased()) (errno \(io.errnoCode))"
        }
        let text = "\(error)"
        if text.contains("refused") || text.contains("errno: 111") { return "connection refused" }
        if let e = error as? ChannelError, case .connectTimeout(let t) = e {
            return "no connection within \(t.nanoseconds / 1_000_000)ms"
        }
        return text
    }
}

/// Passes bytes through untouched, reading the cipher suite from the server's ServerHello on the way
/// (NIOSSL does not report it), then leaves the pipeline.
final class ServerHelloSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private var seen: [UInt8] = []
    private let found: (UInt16) -> Void

    init(found: @escaping (UInt16) -> Void) { self.found = found }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        seen += buffer.readableBytesView.prefix(512 - seen.count)
        let outcome = TLSServerHello.parse(seen)
        // Report before forwarding: the handshake may complete inside the forwarded read.
        if case .cipher(let c) = outcome { found(c) }
        // Forward before leaving: once removed, this handler can no longer pass anything on.
        context.fireChannelRead(data)
        if case .needMore = outcome, seen.count < 512 { return }
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }
}

/// At most `limit` sessions at once to one address (politeness toward the servers checked).
actor SMTPHostLimiter {
    let limit: Int
    private var active: [String: Int] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    init(limit: Int) { self.limit = max(1, limit) }

    func acquire(_ key: String) async {
        if active[key, default: 0] < limit {
            active[key, default: 0] += 1
            return
        }
        await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    func release(_ key: String) {
        if var queue = waiting[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            next.resume()  // the permit passes on directly
        } else {
            active[key, default: 1] -= 1
            if active[key] == 0 { active[key] = nil }
        }
    }

    nonisolated func withPermit<T: Sendable>(for key: String, _ body: () async -> T) async -> T {
        await acquire(key)
        let result = await body()
        await release(key)
        return result
    }
}
