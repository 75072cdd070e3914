/// What the peer's certificate and the TLS session were, after STARTTLS.
public struct TLSInfo: Hashable, Sendable {
    public var version: String
    /// The negotiated cipher suite, when the TLS library reports it (NIOSSL does not, today).
    public var cipher: String?
    public var subject: String
    public var issuer: String
    public var subjectAlternativeNames: [String]
    /// Seconds since 1970.
    public var notValidBefore: Int
    public var notValidAfter: Int
    /// SHA-256 of the DER certificate (DANE `x 0 1`) and of its SubjectPublicKeyInfo (`x 1 1`), hex.
    public var certificateSHA256: String
    public var spkiSHA256: String
    /// Whether the chain and the host name were verified (false when verification was off).
    public var verified: Bool

    public init(
        version: String, cipher: String?, subject: String, issuer: String, subjectAlternativeNames: [String],
        notValidBefore: Int, notValidAfter: Int, certificateSHA256: String, spkiSHA256: String, verified: Bool
    ) {
        self.version = version
        self.cipher = cipher
        self.subject = subject
        self.issuer = issuer
        self.subjectAlternativeNames = subjectAlternativeNames
        self.notValidBefore = notValidBefore
        self.notValidAfter = notValidAfter
        self.certificateSHA256 = certificateSHA256
        self.spkiSHA256 = spkiSHA256
        self.verified = verified
    }
}

/// The phases of a session, for timeouts and failures.
public enum SMTPPhase: String, Hashable, Sendable, CustomStringConvertible {
    case connect, banner, ehlo, helo, starttls, tlsHandshake = "tls handshake", ehloAfterTLS = "ehlo after tls"
    case mailFrom = "mail from", rcpt, rset, quit
    public var description: String { rawValue }
}

/// Why a session ended early. The transcript so far is kept either way.
public enum SMTPFailure: Hashable, Sendable, CustomStringConvertible {
    case connectFailed(String)
    case timeout(SMTPPhase, Duration)
    case sessionDeadline(SMTPPhase)
    case closedByServer(SMTPPhase)
    case protocolError(SMTPPhase, SMTPProtocolError)
    case tlsFailed(String)
    case startTLSRequiredButRefused(SMTPReply?)
    case commandRefused(SMTPCommandError)
    case cancelled

    public var description: String {
        switch self {
        case .connectFailed(let r): return "connection failed: \(r)"
        case .timeout(let p, let d): return "timeout: nothing complete from the server in \(d) during \(p)"
        case .sessionDeadline(let p): return "the session deadline passed during \(p)"
        case .closedByServer(let p): return "the server closed the connection during \(p)"
        case .protocolError(let p, let e): return "protocol error during \(p): \(e)"
        case .tlsFailed(let r): return "TLS handshake failed: \(r)"
        case .startTLSRequiredButRefused(let r):
            return "STARTTLS is required but " + (r.map { "was refused: \($0.code) \($0.text)" } ?? "is not offered")
        case .commandRefused(let e): return "\(e)"
        case .cancelled: return "cancelled"
        }
    }
}

/// One line of the dialogue: what was sent or received, and when.
public struct TranscriptLine: Hashable, Sendable, CustomStringConvertible {
    public enum Direction: String, Hashable, Sendable { case sent = "Sent", received = "Received", info = "Info" }
    /// Since the session started.
    public var at: Duration
    public var direction: Direction
    public var text: String

    public init(at: Duration, direction: Direction, text: String) {
        self.at = at
        self.direction = direction
        self.text = text
    }

    public var description: String { "\(direction.rawValue): \(text)" }
}

/// Everything a session saw: each step's reply, TLS, how it ended, and the transcript.
public struct SMTPSessionRecord: Hashable, Sendable {
    public var banner: SMTPReply?
    public var ehlo: SMTPReply?
    /// EHLO got 5xx and HELO was used instead (RFC 5321 §4.1.4).
    public var heloFallback: Bool = false
    public var helo: SMTPReply?
    public var starttls: SMTPReply?
    public var tls: TLSInfo?
    public var ehloAfterTLS: SMTPReply?
    public var mailFrom: SMTPReply?
    /// Replies to RCPT TO, by address, in the order sent.
    public var rcpt: [(address: String, reply: SMTPReply)] = []
    public var quit: SMTPReply?
    /// The reply to an RSET that was not 2xx (the session then ended).
    public var rsetRefusal: SMTPReply?
    public var failure: SMTPFailure?
    public var transcript: [TranscriptLine] = []
    /// A reply line ended with a bare LF.
    public var sawBareLF = false

    public init() {}

    /// The EHLO keywords that hold for the session: those advertised inside TLS when TLS was used (RFC 3207
    /// §4.2: the client must discard what it learnt before), else those of the first EHLO.
    public var extensions: [String] {
        if tls != nil, let after = ehloAfterTLS { return after.ehloKeywords }
        return extensionsBeforeTLS
    }

    /// The keywords of the first EHLO (STARTTLS is only ever advertised there).
    public var extensionsBeforeTLS: [String] { ehlo?.ehloKeywords ?? [] }

    public func rcptReply(_ address: String) -> SMTPReply? { rcpt.first { $0.address == address }?.reply }

    public static func == (a: SMTPSessionRecord, b: SMTPSessionRecord) -> Bool {
        a.banner == b.banner && a.ehlo == b.ehlo && a.helo == b.helo && a.starttls == b.starttls && a.tls == b.tls
            && a.mailFrom == b.mailFrom && a.quit == b.quit && a.failure == b.failure
            && a.rcpt.map(\.address) == b.rcpt.map(\.address) && a.rcpt.map(\.reply) == b.rcpt.map(\.reply)
    }

    public func hash(into h: inout Hasher) {
        h.combine(banner)
        h.combine(quit)
        h.combine(failure)
    }
}
