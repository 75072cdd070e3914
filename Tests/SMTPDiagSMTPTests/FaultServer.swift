import NIOCore
import NIOPosix
import NIOSSL

/// Misbehaviour no real server produces, for the SMTP engine's tests.
enum Fault: String, CaseIterable, Sendable {
    case noBanner, banner421, banner554, garbage, endlessMultiline, tenMegabyteLine, closeAfterEHLO
    case startTLSRefused, brokenHandshake, startTLSInjection, oneBytePerSecond
    /// STARTTLS with a real handshake (the server's TLS context is the test's), then a healthy dialogue.
    case tls
    /// As `tls`, but a fragment of a reply (`250 `, no line feed) rides behind the 220 before the handshake.
    case startTLSPartialInjection
}

/// An SMTP server on 127.0.0.1 (OS-chosen port) that misbehaves in one way.
final class FaultServer: Sendable {
    let channel: Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    private init(_ channel: Channel) { self.channel = channel }

    static func start(_ fault: Fault, tls: NIOSSLContext? = nil) async throws -> FaultServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(Handler(fault, tls: tls))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FaultServer(channel)
    }

    func stop() async { try? await channel.close() }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let fault: Fault
        let tls: NIOSSLContext?
        var pending = ""
        var dribble: RepeatedTask?
        var awaitingClientHello = false
        var inTLS = false

        init(_ fault: Fault, tls: NIOSSLContext?) {
            self.fault = fault
            self.tls = tls
        }

        func send(_ context: ChannelHandlerContext, _ text: String) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
        }

        func channelActive(context: ChannelHandlerContext) {
            switch fault {
            case .noBanner: break
            case .banner421:
                send(context, "421 4.3.2 Service not available, closing transmission channel\r\n")
                context.close(promise: nil)
            case .banner554: send(context, "554 5.7.1 No SMTP service here\r\n")
            case .garbage: send(context, "\u{0}\u{1}\u{2}GARBAGE not smtp\r\n")
            case .oneBytePerSecond:
                let banner = Array("220 slow.example.test ESMTP\r\n".utf8)
                let state = NIOLoopBoundBox((context, 0), eventLoop: context.eventLoop)
                dribble = context.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .seconds(1)) { task in
                    let (ctx, i) = state.value
                    guard i < banner.count else {
                        task.cancel()
                        return
                    }
                    ctx.writeAndFlush(NIOAny(ByteBuffer(bytes: [banner[i]])), promise: nil)
                    state.value = (ctx, i + 1)
                }
            default: send(context, "220 fault.example.test ESMTP\r\n")
            }
        }

        func channelInactive(context: ChannelHandlerContext) { dribble?.cancel() }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = unwrapInboundIn(data)
            if awaitingClientHello {
                // Whatever the client sent (its ClientHello), answer with something that is not TLS.
                send(context, "this is not a TLS server hello at all\r\n")
                awaitingClientHello = false
                return
            }
            pending += b.readString(length: b.readableBytes) ?? ""
            while let range = pending.range(of: "\r\n") {
                let line = String(pending[..<range.lowerBound])
                pending = String(pending[range.upperBound...])
                respond(to: line.uppercased(), context: context)
            }
        }

        func respond(to line: String, context: ChannelHandlerContext) {
            if line.hasPrefix("QUIT") {
                send(context, "221 2.0.0 Bye\r\n")
                context.close(promise: nil)
                return
            }
            switch fault {
            case .endlessMultiline where line.hasPrefix("EHLO"):
                send(context, String(repeating: "250-and more\r\n", count: 1000))
            case .tenMegabyteLine where line.hasPrefix("EHLO"):
                let chunk = String(repeating: "x", count: 1 << 20)
                send(context, "250-")
                for _ in 0..<10 { send(context, chunk) }
            case .closeAfterEHLO where line.hasPrefix("EHLO"):
                context.close(promise: nil)
            case .tls, .startTLSPartialInjection:
                if line.hasPrefix("EHLO") {
                    send(
                        context,
                        inTLS
                            ? "250-fault.example.test\r\n250 PIPELINING\r\n"
                            : "250-fault.example.test\r\n250 STARTTLS\r\n")
                } else if line.hasPrefix("STARTTLS"), let tls {
                    send(context, fault == .tls ? "220 2.0.0 go ahead\r\n" : "220 2.0.0 go ahead\r\n250 ")
                    inTLS = true
                    try? context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
                } else if line.hasPrefix("RCPT") {
                    // An open relay: whatever the recipient.
                    send(context, "250 2.1.5 relay ok\r\n")
                } else {
                    send(context, "250 2.0.0 ok\r\n")
                }
            case .startTLSRefused, .brokenHandshake, .startTLSInjection:
                if line.hasPrefix("EHLO") {
                    send(context, "250-fault.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
                } else if line.hasPrefix("STARTTLS") {
                    if fault == .startTLSRefused {
                        send(context, "454 4.7.0 TLS not available due to local problem\r\n")
                    } else if fault == .startTLSInjection {
                        // Plaintext right behind the 220, in the same packet: a response injection.
                        send(context, "220 2.0.0 Ready to start TLS\r\n250 injected\r\n")
                    } else {
                        send(context, "220 2.0.0 Ready to start TLS\r\n")
                        awaitingClientHello = true
                    }
                } else if line.hasPrefix("MAIL") || line.hasPrefix("RCPT") {
                    send(context, "250 2.1.0 Ok\r\n")
                }
            default:
                send(context, "250 ok\r\n")
            }
        }
    }
}
