import NIOCore
import NIOSSL
import NIOTLS
import SMTPDiagSMTPWire

/// Drives one `SMTPSessionStateMachine` on a channel: reads replies from the bytes it is given, writes the
/// machine's commands, starts TLS, keeps its timer.
///
/// It decodes replies itself rather than behind a `ByteToMessageHandler`, because it must see the bytes
/// left over when the server says 220 to STARTTLS: any octet already received then, a whole line or a
/// fragment without its line feed, is plaintext that a man in the middle put before the handshake. It ends
/// the session as a TLS failure; read inside TLS it would be glued to the first protected reply and shift
/// every later reply by one (CVE-2011-0411, applied to partial lines too).
final class SMTPSessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Cancel {}

    private var machine: SMTPSessionStateMachine<ContinuousClock>
    private let peer: String
    private let serverName: String?
    private let tlsContext: Result<NIOSSLContext, Error>?
    private let verify: Bool
    private let minimumVersion: SMTPTLSVersion
    private let promise: EventLoopPromise<SMTPSessionRecord>
    private var timer: Scheduled<Void>?
    private var completed = false
    /// The cipher suite from the ServerHello, filled in by the sniffer on this handler's event loop.
    private var cipher: UInt16?
    /// Received octets not yet read as a reply, and the reply being read.
    private var inbound: ByteBuffer?
    private var parser = SMTPReplyParser()

    init(
        machine: SMTPSessionStateMachine<ContinuousClock>, peer: String, serverName: String?,
        tlsContext: Result<NIOSSLContext, Error>?, verify: Bool, minimumVersion: SMTPTLSVersion,
        promise: EventLoopPromise<SMTPSessionRecord>
    ) {
        self.minimumVersion = minimumVersion
        self.machine = machine
        self.peer = peer
        self.serverName = serverName
        self.tlsContext = tlsContext
        self.verify = verify
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(machine.connected(to: peer), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !machine.isDone else { return }
        var bytes = unwrapInboundIn(data)
        if var held = inbound {
            inbound = nil  // one owner of the storage, so the append does not copy it
            held.writeBuffer(&bytes)
            inbound = held
        } else {
            inbound = bytes
        }
        while !machine.isDone, var buffer = inbound {
            inbound = nil
            let reply: SMTPReply?
            do {
                reply = try parser.next(from: &buffer)
            } catch {
                perform(machine.protocolError(error), context: context)
                return
            }
            if buffer.readableBytes > 0 { inbound = buffer }
            guard let reply else { return }
            let action = machine.received(reply)
            if case .startTLS = action, let left = inbound, left.readableBytes > 0 {
                // Plaintext behind the 220, before the handshake (RFC 3207 §4.2): never read it as a reply.
                let excerpt = SMTPReplyParser.excerpt(Array(left.readableBytesView.prefix(60)))
                inbound = nil
                perform(
                    machine.tlsFailed(
                        "the server sent plaintext after 220 to STARTTLS, before the TLS handshake "
                            + "(\(left.readableBytes) octets: \"\(excerpt)\"): a response injection"),
                    context: context)
                return
            }
            if case .startTLS = action {
                // Inside TLS the decoder starts empty.
                inbound = nil
                parser = SMTPReplyParser()
            }
            perform(action, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !machine.isDone else { return }
        if let e = error as? SMTPProtocolError {
            perform(machine.protocolError(e), context: context)
        } else if machine.phase == .tlsHandshake || error is NIOSSLError || error is BoringSSLError {
            perform(
                machine.tlsFailed("\(TLSFailureText.describe(error, minimumVersion: minimumVersion)) (\(peer))"),
                context: context)
        } else {
            machine.noteInfo("network error: \(error)")
            perform(machine.closedByPeer(), context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is Cancel {
            perform(machine.cancelled(), context: context)
            return
        }
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            let info = tlsInfo(context: context)
            if verify, let problem = Self.nameProblem(serverName, info) {
                perform(machine.tlsFailed("\(problem) (\(peer))"), context: context)
                return
            }
            perform(machine.tlsEstablished(info), context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        if !machine.isDone { _ = machine.closedByPeer() }
        complete()
        context.fireChannelInactive()
    }

    private func complete() {
        guard !completed else { return }
        completed = true
        promise.succeed(machine.record)
    }

    private func perform(_ action: SMTPSessionStateMachine<ContinuousClock>.Action, context: ChannelHandlerContext) {
        switch action {
        case .send(let command):
            // The state machine has already checked the command encodes.
            let bytes = (try? command.encoded()) ?? []
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
            arm(context)
        case .startTLS:
            do {
                guard let tlsContext else { throw NIOSSLError.failedToLoadCertificate }
                let handler = try NIOSSLClientHandler(
                    context: tlsContext.get(),
                    serverHostname: serverName.flatMap { Self.isHostName($0) ? $0 : nil })
                try context.pipeline.syncOperations.addHandler(handler, position: .first)
                try context.pipeline.syncOperations.addHandler(
                    ServerHelloSniffer(found: { [weak self] in self?.cipher = $0 }), position: .first)
                arm(context)
            } catch {
                perform(machine.tlsFailed("cannot start TLS: \(error)"), context: context)
            }
        case .close:
            timer?.cancel()
            complete()
            context.close(promise: nil)
        case .wait:
            arm(context)
        }
    }

    static func isHostName(_ s: String) -> Bool { !s.contains(":") && s.contains(where: \.isLetter) }

    /// The host name check of a verified session, made here and not by the TLS library: it would accept an
    /// IP-address SAN that matches the connected address in place of the MX name (RFC 7672 §3.2.3).
    static func nameProblem(_ serverName: String?, _ info: TLSInfo) -> String? {
        guard let serverName, isHostName(serverName) else {
            return "no host name to check the certificate against (the host is given as an IP address); "
                + "name the host, or set tls_verify: false"
        }
        return TLSNameCheck.problem(host: serverName, subjectAlternativeNames: info.subjectAlternativeNames)
    }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let remaining = ContinuousClock().now.duration(to: machine.deadline)
        let (s, atto) = remaining.components
        let nanos = max(0, s * 1_000_000_000 + atto / 1_000_000_000)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(nanos)) {
            let (handler, context) = loopBound.value
            guard !handler.machine.isDone else { return }
            handler.perform(handler.machine.timedOut(), context: context)
        }
    }

    private func tlsInfo(context: ChannelHandlerContext) -> TLSInfo {
        let cipherName = cipher.map(TLSServerHello.name)
        let ssl = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
        let version = ssl?.tlsVersion.map(Self.describe) ?? "unknown"
        guard let cert = ssl?.peerCertificate else {
            return TLSInfo(
                version: version, cipher: cipherName, subject: "", issuer: "", subjectAlternativeNames: [],
                notValidBefore: 0,
                notValidAfter: 0, certificateSHA256: "", spkiSHA256: "", verified: verify)
        }
        let der = (try? cert.toDERBytes()) ?? []
        let spki = (try? cert.extractPublicKey().toSPKIBytes()) ?? []
        var sans: [String] = []
        for name in cert._subjectAlternativeNames() {
            let bytes = Array(name.contents)
            switch name.nameType {
            case .dnsName: sans.append("DNS:" + String(decoding: bytes, as: UTF8.self))
            case .ipAddress:
                if bytes.count == 4 {
                    sans.append("IP:" + bytes.map(String.init).joined(separator: "."))
                } else {
                    sans.append(
                        "IP:"
                            + stride(from: 0, to: bytes.count, by: 2).map {
                                String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
                            }.joined(separator: ":"))
                }
            case .email: sans.append("email:" + String(decoding: bytes, as: UTF8.self))
            case .uri: sans.append("URI:" + String(decoding: bytes, as: UTF8.self))
            default: break
            }
        }
        return TLSInfo(
            version: version, cipher: cipherName, subject: Self.describe(cert.subjectName),
            issuer: Self.describe(cert.issuerName),
            subjectAlternativeNames: sans, notValidBefore: Int(cert.notValidBefore),
            notValidAfter: Int(cert.notValidAfter),
            certificateSHA256: SHA256.hex(SHA256.hash(der)), spkiSHA256: SHA256.hex(SHA256.hash(spki)), verified: verify
        )
    }

    static func describe(_ names: [SSLCertificateName]) -> String {
        names.map { n -> String in
            let key: String
            switch n.type {
            case .commonName: key = "CN"
            case .organization: key = "O"
            case .organizationalUnit: key = "OU"
            case .country: key = "C"
            case .state: key = "ST"
            case .city: key = "L"
            case .emailAddress: key = "emailAddress"
            case .userId: key = "UID"
            default: key = "?"
            }
            return "\(key)=\(n.value)"
        }.joined(separator: ", ")
    }

    static func describe(_ v: TLSVersion) -> String {
        switch v {
        case .tlsv1: return "TLSv1.0"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        }
    }
}
