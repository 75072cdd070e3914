import NIOCore
import SMTPDiagDNSWire

/// How a query travels. The caller always chooses; nothing falls back from one to the other by itself.
public enum DNSTransport: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case udp, tcp
    public var description: String { rawValue }
}

/// Per-query settings.
public struct DNSQueryOptions: Sendable, Hashable {
    /// How long to wait for each attempt.
    public var timeout: Duration
    /// UDP retransmissions after the first attempt (TCP is never retransmitted).
    public var retries: Int
    /// EDNS(0) on the query; `nil` sends a plain RFC 1035 query. On by default with 1232 octets
    /// (the DNS flag day 2020 size).
    public var edns: EDNS?
    public var recursionDesired: Bool

    public init(
        timeout: Duration = .seconds(2), retries: Int = 1, edns: EDNS? = EDNS(udpPayloadSize: 1232),
        recursionDesired: Bool = false
    ) {
        self.timeout = timeout
        self.retries = retries
        self.edns = edns
        self.recursionDesired = recursionDesired
    }
}

/// One answer, with where and how it came. Immutable, and a class: an answer is handed from the client to the
/// cache, to every check that asks the same question and to their evidence, and copying the message's arrays and
/// strings at each step was a share of a fleet run's reference counting.
public final class DNSResponse: Sendable {
    public let message: Message
    public let server: DNSServerAddress
    public let transport: DNSTransport
    /// From the last transmission to the answer.
    public let roundTrip: Duration
    /// Transmissions made (1 + retransmissions).
    public let attempts: Int
    /// Octets of the answer on the wire.
    public let size: Int

    public init(
        message: Message, server: DNSServerAddress, transport: DNSTransport, roundTrip: Duration, attempts: Int = 1,
        size: Int
    ) {
        self.message = message
        self.server = server
        self.transport = transport
        self.roundTrip = roundTrip
        self.attempts = attempts
        self.size = size
    }

    public var rcode: ResponseCode { message.rcode }
    /// TC: the answer did not fit (RFC 1035 §4.1.1). Never read a truncated answer as complete.
    public var isTruncated: Bool { message.header.truncated }
    public var isAuthoritative: Bool { message.header.authoritative }
}

/// Why a query produced no answer. Every case names the server and transport.
public enum DNSClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No matching answer in time, after `attempts` transmissions.
    case timeout(server: DNSServerAddress, transport: DNSTransport, attempts: Int, timeout: Duration)
    /// The server refused the TCP connection (or UDP got port unreachable).
    case connectionRefused(server: DNSServerAddress, transport: DNSTransport)
    /// The TCP connection closed before the answer came.
    case connectionClosed(server: DNSServerAddress)
    /// An answer with our id and from the server came, but could not be decoded.
    case malformedResponse(server: DNSServerAddress, transport: DNSTransport, error: DNSWireError)
    /// Any other socket error.
    case network(server: DNSServerAddress, transport: DNSTransport, reason: String)
    /// The query itself could not be encoded.
    case invalidQuery(DNSWireError)
    /// The task was cancelled.
    case cancelled

    public var description: String {
        switch self {
        case .timeout(let s, let t, let n, let d):
            return "timeout: no answer from \(s) over \(t) after \(n) attempt(s) of \(d.formattedSeconds)"
        case .connectionRefused(let s, let t): return "connection refused by \(s) over \(t)"
        case .connectionClosed(let s): return "\(s) closed the TCP connection before answering"
        case .malformedResponse(let s, let t, let e): return "malformed response from \(s) over \(t): \(e)"
        case .network(let s, let t, let r): return "network error with \(s) over \(t): \(r)"
        case .invalidQuery(let e): return "cannot encode the query: \(e)"
        case .cancelled: return "cancelled"
        }
    }
}

/// Counters of what the client saw and refused.
public struct DNSClientStatistics: Sendable, Hashable {
    public var sent = 0
    public var received = 0
    /// Datagrams whose source and id matched no query in flight.
    public var unmatched = 0
    /// Datagrams with a matching id and source but another question (RFC 5452 §9.1).
    public var mismatchedQuestion = 0
    /// Datagrams with a matching id and source that did not decode.
    public var malformed = 0
    public var retransmissions = 0
    public var timeouts = 0
    public init() {}
}

extension Duration {
    var timeAmount: TimeAmount {
        let (s, atto) = components
        return .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }

    var formattedSeconds: String {
        let ms = Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
        return ms < 1000 ? "\(Int(ms.rounded()))ms" : "\(Double(Int(ms / 10)) / 100)s"
    }
}

extension Question {
    /// RFC 5452 §9.1: an answer is for our query only if its question is ours (names compared without case).
    func matches(_ other: Question) -> Bool {
        name == other.name && type == other.type && recordClass == other.recordClass
    }
}
