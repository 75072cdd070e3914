/// STARTTLS policy (the spec's `starttls:`).
public enum STARTTLSMode: String, Hashable, Sendable {
    /// Use it when the server offers it.
    case optional
    /// Use it even when not advertised; a session without TLS is a failure.
    case required
    case off
}

/// What one session does.
public struct SMTPSessionConfiguration: Hashable, Sendable {
    public var helo: String
    /// nil: no MAIL FROM (and no RCPT); "" is the null reverse-path.
    public var mailFrom: String?
    public var recipients: [String]
    public var starttls: STARTTLSMode
    public var connectTimeout: Duration
    /// Its own timeout: greet-pause servers delay the banner on purpose (RFC 5321 §4.5.3.2.1 allows 5 min).
    public var bannerTimeout: Duration
    public var commandTimeout: Duration
    /// The whole session, connect to QUIT.
    public var sessionTimeout: Duration

    public init(
        helo: String, mailFrom: String? = nil, recipients: [String] = [], starttls: STARTTLSMode = .optional,
        connectTimeout: Duration = .seconds(10), bannerTimeout: Duration = .seconds(30),
        commandTimeout: Duration = .seconds(30), sessionTimeout: Duration = .seconds(120)
    ) {
        self.helo = helo
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.starttls = starttls
        self.connectTimeout = connectTimeout
        self.bannerTimeout = bannerTimeout
        self.commandTimeout = commandTimeout
        self.sessionTimeout = sessionTimeout
    }
}

/// The SMTPDiag dialogue as a value type: events in, actions out, no I/O (RFC 5321 §3, §4.1;
/// STARTTLS per RFC 3207). Connect, banner, EHLO (HELO when EHLO gets 5xx), STARTTLS when offered or
/// required, EHLO again, then for each recipient MAIL FROM and RCPT, with RSET between, and QUIT.
public struct SMTPSessionStateMachine<C: Clock>: Sendable where C.Duration == Duration {
    public enum Action: Hashable, Sendable {
        case send(SMTPCommand)
        /// Start the TLS handshake on the connection.
        case startTLS
        /// Close the connection; the session is over.
        case close
        /// Nothing to do until the next event.
        case wait
    }

    enum State: Hashable, Sendable {
        case idle, connecting, banner, ehlo, helo, starttls, handshake, ehloAfterTLS, mailFrom
        case rcpt(Int)
        case rset(next: Int)
        case quit, done
    }

    public let configuration: SMTPSessionConfiguration
    let clock: C
    let start: C.Instant
    private(set) var state: State = .idle
    private var phaseDeadline: C.Instant
    public private(set) var record = SMTPSessionRecord()
    private var usedTLS = false
    /// The recipient to send after MAIL FROM (0, or where a new transaction resumes after RSET).
    private var resumeAt = 0

    public init(configuration: SMTPSessionConfiguration, clock: C) {
        self.configuration = configuration
        self.clock = clock
        self.start = clock.now
        self.phaseDeadline = start
    }

    /// When the current phase (or the whole session, whichever is first) times out.
    public var deadline: C.Instant {
        min(phaseDeadline, start.advanced(by: configuration.sessionTimeout))
    }

    public var isDone: Bool { state == .done }

    public var phase: SMTPPhase {
        switch state {
        case .idle, .connecting: return .connect
        case .banner: return .banner
        case .ehlo: return .ehlo
        case .helo: return .helo
        case .starttls: return .starttls
        case .handshake: return .tlsHandshake
        case .ehloAfterTLS: return .ehloAfterTLS
        case .mailFrom: return .mailFrom
        case .rcpt: return .rcpt
        case .rset: return .rset
        case .quit, .done: return .quit
        }
    }

    mutating func note(_ direction: TranscriptLine.Direction, _ text: String) {
        record.transcript.append(TranscriptLine(at: start.duration(to: clock.now), direction: direction, text: text))
    }

    public mutating func noteInfo(_ text: String) { note(.info, text) }

    // MARK: - Events

    public mutating func connecting() {
        state = .connecting
        phaseDeadline = clock.now.advanced(by: configuration.connectTimeout)
    }

    public mutating func connected(to peer: String) -> Action {
        note(.info, "connected to \(peer)")
        state = .banner
        phaseDeadline = clock.now.advanced(by: configuration.bannerTimeout)
        return .wait
    }

    public mutating func connectFailed(_ reason: String) -> Action {
        return finish(.connectFailed(reason))
    }

    public mutating func received(_ reply: SMTPReply) -> Action {
        for line in reply.description.split(separator: "\n", omittingEmptySubsequences: false) {
            note(.received, String(line))
        }
        if reply.bareLF { record.sawBareLF = true }
        switch state {
        case .banner:
            record.banner = reply
            guard reply.code / 100 == 2 else {
                // 554 or 421: no service. RFC 5321 §3.1: the client should QUIT (a 421 server closes itself).
                return reply.code == 421 ? finishQuietly() : send(.quit, .quit)
            }
            return send(.ehlo(configuration.helo), .ehlo)
        case .ehlo:
            record.ehlo = reply
            if reply.code / 100 == 5 {
                record.heloFallback = true
                note(.info, "EHLO refused with \(reply.code): falling back to HELO")
                return send(.helo(configuration.helo), .helo)
            }
            guard reply.code / 100 == 2 else { return closeOn(reply) }
            return afterGreeting(advertisesSTARTTLS: reply.ehloKeywords.contains("STARTTLS"))
        case .helo:
            record.helo = reply
            guard reply.code / 100 == 2 else { return closeOn(reply) }
            if configuration.starttls == .required {
                record.failure = .startTLSRequiredButRefused(nil)
                return send(.quit, .quit)
            }
            return afterTLSDecision()
        case .starttls:
            record.starttls = reply
            if reply.code == 220 {
                state = .handshake
                phaseDeadline = clock.now.advanced(by: configuration.commandTimeout)
                note(.info, "starting the TLS handshake")
                return .startTLS
            }
            if configuration.starttls == .required {
                record.failure = .startTLSRequiredButRefused(reply)
                return reply.code == 421 ? finishQuietly() : send(.quit, .quit)
            }
            note(.info, "STARTTLS refused with \(reply.code): going on without TLS")
            return reply.code == 421 ? finishQuietly() : afterTLSDecision()
        case .ehloAfterTLS:
            record.ehloAfterTLS = reply
            guard reply.code / 100 == 2 else { return closeOn(reply) }
            return afterTLSDecision()
        case .mailFrom:
            record.mailFrom = reply
            guard reply.code / 100 == 2, resumeAt < configuration.recipients.count else { return closeOn(reply) }
            return sendRcpt(resumeAt)
        case .rcpt(let i):
            record.rcpt.append((configuration.recipients[i], reply))
            if reply.code == 421 { return finishQuietly() }
            let next = i + 1
            guard next < configuration.recipients.count else { return send(.quit, .quit) }
            // Each recipient in a transaction of its own (RSET, MAIL FROM again): a server that counts rejected
            // recipients per transaction, or drops it after a 503, judges each alone.
            return send(.rset, .rset(next: next))
        case .rset(let next):
            guard reply.code / 100 == 2, let from = configuration.mailFrom else {
                record.rsetRefusal = reply
                return closeOn(reply)
            }
            state = .mailFrom
            // Once MAIL FROM is accepted again, go on with the next recipient.
            resumeAt = next
            return send(.mailFrom(from), .mailFrom)
        case .quit:
            record.quit = reply
            return finishQuietly()
        case .handshake:
            // RFC 3207 §4.2: nothing may come between 220 and the handshake. Plaintext here is the
            // STARTTLS response injection of CVE-2011-0411 and must never be read as a reply.
            return finish(.tlsFailed("the server sent plaintext after 220 to STARTTLS, before the TLS handshake"))
        case .idle, .connecting, .done:
            note(.info, "unexpected reply while \(phase)")
            return .wait
        }
    }

    public mutating func tlsEstablished(_ info: TLSInfo) -> Action {
        record.tls = info
        usedTLS = true
        note(.info, "TLS established: \(info.version), certificate \(info.subject) issued by \(info.issuer)")
        return send(.ehlo(configuration.helo), .ehloAfterTLS)
    }

    /// The handshake (or the check of its certificate) failed; said once, by `finish`.
    public mutating func tlsFailed(_ reason: String) -> Action {
        finish(.tlsFailed(reason))
    }

    public mutating func timedOut() -> Action {
        let sessionOver = clock.now >= start.advanced(by: configuration.sessionTimeout)
        let timeout: Duration
        switch state {
        case .connecting: timeout = configuration.connectTimeout
        case .banner: timeout = configuration.bannerTimeout
        default: timeout = configuration.commandTimeout
        }
        return finish(sessionOver ? .sessionDeadline(phase) : .timeout(phase, timeout))
    }

    public mutating func closedByPeer() -> Action {
        guard state != .done else { return .wait }
        // A close right after QUIT was sent is the normal end.
        if state == .quit { return finishQuietly() }
        return finish(.closedByServer(phase))
    }

    public mutating func protocolError(_ error: SMTPProtocolError) -> Action {
        if state == .handshake {
            return finish(.tlsFailed("the server sent plaintext after 220 to STARTTLS, before the TLS handshake"))
        }
        return finish(.protocolError(phase, error))
    }

    public mutating func cancelled() -> Action { finish(.cancelled) }

    // MARK: - Steps

    private mutating func afterGreeting(advertisesSTARTTLS: Bool) -> Action {
        if !usedTLS && configuration.starttls != .off && (advertisesSTARTTLS || configuration.starttls == .required) {
            return send(.startTLS, .starttls)
        }
        if configuration.starttls == .required && !usedTLS {
            record.failure = .startTLSRequiredButRefused(nil)
            return send(.quit, .quit)
        }
        return afterTLSDecision()
    }

    private mutating func afterTLSDecision() -> Action {
        guard let from = configuration.mailFrom else { return send(.quit, .quit) }
        return send(.mailFrom(from), .mailFrom)
    }

    private mutating func sendRcpt(_ i: Int) -> Action {
        send(.rcptTo(configuration.recipients[i]), .rcpt(i))
    }

    private mutating func closeOn(_ reply: SMTPReply) -> Action {
        reply.code == 421 ? finishQuietly() : send(.quit, .quit)
    }

    private mutating func send(_ command: SMTPCommand, _ next: State) -> Action {
        do {
            _ = try command.encoded()
        } catch {
            return finish(.commandRefused(error))
        }
        note(.sent, command.description)
        state = next
        phaseDeadline = clock.now.advanced(by: configuration.commandTimeout)
        return .send(command)
    }

    private mutating func finish(_ failure: SMTPFailure) -> Action {
        if record.failure == nil { record.failure = failure }
        note(.info, "\(failure)")
        state = .done
        return .close
    }

    private mutating func finishQuietly() -> Action {
        state = .done
        return .close
    }
}
