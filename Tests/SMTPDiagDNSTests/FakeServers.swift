import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMTPDiagDNSWire

@testable import SMTPDiagDNS

/// What an in-process UDP server does with each query it receives.
enum UDPBehaviour: Sendable {
    /// Never answers.
    case silent
    /// Sends each of these, in order; `.spoofed` ones come from another port.
    case replies([Reply])

    enum Reply: Sendable {
        case correct
        case wrongID
        case wrongQuestion
        case notAResponse
        case spoofed
        case truncated
        case garbageWithOurID
    }
}

/// Builds the answer to `query` for a reply kind.
func makeReply(_ kind: UDPBehaviour.Reply, to query: Message) -> ByteBuffer {
    var m = Message(header: Header(id: query.header.id, isResponse: true, authoritative: true))
    m.questions = query.questions
    m.edns = query.edns
    let q = query.questions[0]
    m.answers = [ResourceRecord(name: q.name, ttl: 60, rdata: .a(A(address: [127, 0, 0, 11])))]
    switch kind {
    case .correct, .spoofed: break
    case .wrongID: m.header.id &+= 1
    case .wrongQuestion:
        m.questions = [Question(name: "other.example.test.", type: q.type)]
        m.answers[0].name = "other.example.test."
    case .notAResponse: m.header.isResponse = false
    case .truncated:
        m.header.truncated = true
        m.answers = []
    case .garbageWithOurID:
        var b = ByteBuffer()
        b.writeInteger(query.header.id)
        b.writeBytes([0x84, 0x00, 0, 1, 0, 9, 0, 0, 0, 0, 0xC0])
        return b
    }
    return (try? m.encode()) ?? ByteBuffer()
}

/// A UDP server on 127.0.0.1 with an OS-chosen port, plus a second socket to send spoofed answers from.
final class FakeUDPServer: Sendable {
    let channel: Channel
    let spoofer: Channel
    let received: NIOLockedValueBox<Int>
    /// The source port of every query received, in order.
    let sourcePorts: NIOLockedValueBox<[Int]>

    var address: DNSServerAddress { DNSServerAddress(host: "127.0.0.1", port: channel.localAddress?.port ?? 0) }

    private init(
        channel: Channel, spoofer: Channel, received: NIOLockedValueBox<Int>, sourcePorts: NIOLockedValueBox<[Int]>
    ) {
        self.channel = channel
        self.spoofer = spoofer
        self.received = received
        self.sourcePorts = sourcePorts
    }

    static func start(_ behaviour: UDPBehaviour) async throws -> FakeUDPServer {
        let group = MultiThreadedEventLoopGroup.singleton
        let spoofer = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let received = NIOLockedValueBox(0)
        let sourcePorts = NIOLockedValueBox<[Int]>([])
        let channel = try await DatagramBootstrap(group: group)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(
                        Handler(behaviour: behaviour, spoofer: spoofer, received: received, sourcePorts: sourcePorts))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakeUDPServer(channel: channel, spoofer: spoofer, received: received, sourcePorts: sourcePorts)
    }

    func stop() async {
        try? await channel.close()
        try? await spoofer.close()
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let behaviour: UDPBehaviour
        let spoofer: Channel
        let received: NIOLockedValueBox<Int>
        let sourcePorts: NIOLockedValueBox<[Int]>
        init(
            behaviour: UDPBehaviour, spoofer: Channel, received: NIOLockedValueBox<Int>,
            sourcePorts: NIOLockedValueBox<[Int]>
        ) {
            self.behaviour = behaviour
            self.spoofer = spoofer
            self.received = received
            self.sourcePorts = sourcePorts
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let env = unwrapInboundIn(data)
            received.withLockedValue { $0 += 1 }
            if let port = env.remoteAddress.port { sourcePorts.withLockedValue { $0.append(port) } }
            var b = env.data
            guard let query = try? Message.decode(from: &b), case .replies(let replies) = behaviour else { return }
            for kind in replies {
                let reply = AddressedEnvelope(remoteAddress: env.remoteAddress, data: makeReply(kind, to: query))
                if case .spoofed = kind {
                    spoofer.writeAndFlush(reply, promise: nil)
                } else {
                    context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
                }
            }
        }
    }
}

/// A TCP server that waits for `batch` queries, then answers them in reverse order, one byte per write.
final class FakeTCPServer: Sendable {
    let channel: Channel
    var address: DNSServerAddress { DNSServerAddress(host: "127.0.0.1", port: channel.localAddress?.port ?? 0) }

    private init(channel: Channel) { self.channel = channel }

    static func start(batch: Int) async throws -> FakeTCPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    try ch.pipeline.syncOperations.addHandler(Handler(batch: batch))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakeTCPServer(channel: channel)
    }

    func stop() async { try? await channel.close() }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let batch: Int
        var queries: [Message] = []
        init(batch: Int) { self.batch = batch }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = unwrapInboundIn(data)
            guard let q = try? Message.decode(from: &b) else { return }
            queries.append(q)
            guard queries.count == batch else { return }
            var all = ByteBuffer()
            for q in queries.reversed() { DNSTCPFrameParser.frame(makeReply(.correct, to: q), into: &all) }
            queries = []
            for byte in all.readableBytesView {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: [byte])), promise: nil)
            }
        }
    }
}

/// A TCP server that never answers on its first connection (a stalled segment, as through a lossy link) and
/// answers every query on the connections after it. Counts connections.
final class StallingTCPServer: Sendable {
    let channel: Channel
    let connections: NIOLockedValueBox<Int>
    var address: DNSServerAddress { DNSServerAddress(host: "127.0.0.1", port: channel.localAddress?.port ?? 0) }

    private init(channel: Channel, connections: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.connections = connections
    }

    static func start() async throws -> StallingTCPServer {
        let connections = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { ch in
                let n = connections.withLockedValue { c -> Int in
                    c += 1
                    return c
                }
                return ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    try ch.pipeline.syncOperations.addHandler(Handler(silent: n == 1))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return StallingTCPServer(channel: channel, connections: connections)
    }

    func stop() async { try? await channel.close() }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let silent: Bool
        init(silent: Bool) { self.silent = silent }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = unwrapInboundIn(data)
            guard !silent, let q = try? Message.decode(from: &b) else { return }
            var out = ByteBuffer()
            DNSTCPFrameParser.frame(makeReply(.correct, to: q), into: &out)
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
    }
}

/// A TCP port on 127.0.0.1 held by a socket that never listens: a connection to it is refused, and no other
/// socket can take the port while this one holds it.
struct BoundTCPPort: Sendable {
    let fd: Int32
    let address: DNSServerAddress

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var bound = sockaddr_in()
        bound.sin_family = sa_family_t(AF_INET)
        bound.sin_port = 0
        bound.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            let why = errno
            Glibc.close(fd)
            throw IOError(errnoCode: why, reason: "bind")
        }
        self.fd = fd
        self.address = DNSServerAddress(host: "127.0.0.1", port: Int(UInt16(bigEndian: bound.sin_port)))
    }

    func close() { Glibc.close(fd) }
}
