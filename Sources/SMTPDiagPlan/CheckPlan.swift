import SMTPDiagDNSWire
import SMTPDiagSpec

/// A check's stable identity, in parts: what it is about (a domain or a route), the side of a route, the
/// expectation, the server asked (or the SMTP host), the transport and the SMTP step. Its text, e.g.
/// `example.test/soa.serial@internal[127.0.0.10]/tcp` or `example.test/smtp@mx1.example.test[127.0.0.11]:25/banner`,
/// is made only where it is shown (reports, JUnit names, `--only` globs); no code reads the parts back from it.
public struct CheckID: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public enum Subject: Hashable, Sendable {
        /// A domain, as ids write it (lower case, no final dot).
        case domain(String)
        /// A route, `FROM->TO`.
        case route(String)
        /// An id given only as text (tests).
        case text(String)
    }

    /// The domain a check of a route asks about: the sender's (`local`) or the recipient's (`remote`).
    public enum Side: String, Hashable, Sendable {
        case local, remote
    }

    /// A qualifier or a step: no id has both, so they share one field (a plan holds hundreds of thousands of
    /// ids, and every field is in each).
    private enum Detail: Hashable, Sendable {
        case qualifier(String)
        case step(String)
    }

    public var subject: Subject
    public var side: Side?
    public var transport: SpecTransport?
    /// `soa.serial`, `mx`, `records`, `smtp.hosts`, `smtp`, `ns.discovery`, a family's key...
    public var expectation: String
    private var detail: Detail?
    /// The DNS server asked (`internal[127.0.0.10]`, `authoritative`), or the SMTP host (`mx:25`,
    /// `mx1.example.test[127.0.0.11]:25`).
    public var server: Endpoint?

    /// Which one of the expectation, shown in brackets: `_dmarc TXT` of `records[_dmarc TXT]`, `mx` of
    /// `smtp.hosts[mx]`.
    public var qualifier: String? {
        if case .qualifier(let q)? = detail { return q }
        return nil
    }

    /// The SMTP step: `banner`, `rcpt[postmaster]`...
    public var step: String? {
        if case .step(let s)? = detail { return s }
        return nil
    }

    /// An id; a qualifier and a step are not both given (a step's check names its host, not a qualifier).
    public init(
        _ subject: Subject, side: Side? = nil, _ expectation: String, qualifier: String? = nil,
        server: Endpoint? = nil, transport: SpecTransport? = nil, step: String? = nil
    ) {
        assert(qualifier == nil || step == nil, "an id with both a qualifier and a step")
        self.subject = subject
        self.side = side
        self.expectation = expectation
        self.detail = step.map(Detail.step) ?? qualifier.map(Detail.qualifier)
        self.server = server
        self.transport = transport
    }

    /// An id that is only text (tests).
    public init(_ text: String) { self.init(.text(text), "") }
    public init(stringLiteral value: String) { self.init(value) }

    /// The same check at another server (an `authoritative` check at one NS address, an SMTP step at one host).
    public func at(_ server: Endpoint) -> CheckID {
        var id = self
        id.server = server
        return id
    }

    /// The id's text.
    public var rawValue: String {
        var text: String
        switch subject {
        case .domain(let d): text = d
        case .route(let r): text = "route[\(r)]"
        case .text(let t): return t
        }
        text += "/"
        if let side { text += side.rawValue + "." }
        text += expectation
        if let qualifier { text += "[\(qualifier)]" }
        if let server { text += "@" + server.description }
        if let transport { text += "/" + transport.rawValue }
        if let step { text += "/" + step }
        return text
    }

    public var description: String { rawValue }
    public static func < (a: CheckID, b: CheckID) -> Bool { a.rawValue < b.rawValue }
}

/// A server or host as ids name it: `internal[127.0.0.10]`, `internal[127.0.0.12]:5300`, `authoritative`,
/// `mx1.example.test[127.0.0.11]:25`, `[::1]:25`, `mx:25`.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// A server's name in the spec, an NS or MX host name, `authoritative`, `system`, `mx`.
    public var name: String?
    public var address: String?
    /// The port, 0 when none is shown (two octets, not an optional word: every check id holds one).
    private var portNumber: UInt16

    /// Shown when given (DNS ids leave port 53 out).
    public var port: Int? {
        get { portNumber == 0 ? nil : Int(portNumber) }
        set { portNumber = newValue.map { UInt16(clamping: $0) } ?? 0 }
    }

    public init(name: String?, address: String? = nil, port: Int? = nil) {
        self.name = name
        self.address = address
        self.portNumber = port.map { UInt16(clamping: $0) } ?? 0
    }

    /// A DNS server: its port only when it is not 53.
    public static func dns(_ name: String, _ host: String, _ port: Int) -> Endpoint {
        Endpoint(name: name, address: host, port: port == 53 ? nil : port)
    }

    public var description: String {
        var text = ""
        if let name {
            text = name
            if let address { text += "[\(address)]" }
        } else if let address {
            text = address.contains(":") ? "[\(address)]" : address
        }
        if let port { text += ":\(port)" }
        return text
    }
}

/// Which DNS server a check asks.
public enum ServerTarget: Hashable, Sendable, CustomStringConvertible {
    /// A server of `dns_servers`. Indirect: the one box is shared by every check that asks the server,
    /// instead of two strings and a port copied into each (a plan has hundreds of thousands of checks).
    indirect case named(name: String, host: String, port: Int)
    /// Each resolver of /etc/resolv.conf, found when the run starts.
    case system
    /// Each address of each NS of the zone, found through `via` when the run starts.
    case authoritative(zone: DomainName, via: ServerTargetBase)

    public var description: String { endpoint.description }

    /// `name[127.0.0.10]`, `name[127.0.0.12]:5300`, `name[::1]:5353` (the port only when it is not 53, in the
    /// same form as SMTP hosts), `system`, `authoritative`.
    public var endpoint: Endpoint {
        switch self {
        case .named(let name, let host, let port): return .dns(name, host, port)
        case .system: return Endpoint(name: "system")
        case .authoritative: return Endpoint(name: "authoritative")
        }
    }
}

/// A server that can be asked directly (what `authoritative` discovery goes through).
public enum ServerTargetBase: Hashable, Sendable {
    indirect case named(name: String, host: String, port: Int)
    case system
}

/// The SMTP settings a session runs with, after defaults.
public struct SMTPSessionSettings: Hashable, Sendable {
    public var port: Int
    public var helo: String
    public var mailFrom: String
    public var connectTimeout: Duration
    public var bannerTimeout: Duration
    public var commandTimeout: Duration
    public var starttls: StartTLSMode
    public var tlsVerify: Bool
    public var tlsCAFile: String?
    /// "1.0" to "1.3".
    public var tlsMinVersion: String = "1.2"
}

/// Where an SMTP session connects.
public enum SMTPTarget: Hashable, Sendable, CustomStringConvertible {
    /// Every address of every MX exchange of `domain`, found when the run starts.
    case mx(domain: DomainName)
    case host(SMTPHostSpec)

    public var description: String {
        switch self {
        case .mx: return "mx"
        case .host(let h): return h.description
        }
    }
}

/// One step of an SMTP session with its expectation.
public enum SMTPStep: Hashable, Sendable, CustomStringConvertible {
    case banner
    case ehlo
    case extensions
    case starttls
    case mailFrom
    case rcpt(written: String, address: String)
    case quit

    public var description: String {
        switch self {
        case .banner: return "banner"
        case .ehlo: return "ehlo"
        case .extensions: return "extensions"
        case .starttls: return "starttls"
        case .mailFrom: return "mail_from"
        case .rcpt(let w, _): return "rcpt[\(w)]"
        case .quit: return "quit"
        }
    }
}

/// What the SMTP steps of one session expect.
public struct SMTPSessionPlan: Hashable, Sendable {
    public var target: SMTPTarget
    public var settings: SMTPSessionSettings
    public var banner: ReplyExpectation?
    public var ehlo: ReplyExpectation?
    public var extensions: [String]
    public var starttls: ReplyExpectation?
    public var mailFrom: ReplyExpectation?
    public var rcpt: [RecipientExpectation]
    public var quit: ReplyExpectation?
    /// How to find the MX addresses for `.mx` targets (and A/AAAA for named hosts).
    public var resolver: ServerTarget
    public var resolverTransport: SpecTransport
}

/// What a check does. Every case is data: the runner probes, the matchers judge.
public indirect enum CheckKind: Hashable, Sendable {
    /// The NS set of `zone` and the addresses of each NS, through `via` (prerequisite of
    /// `authoritative` servers and `soa.consistent`).
    case discovery(zone: DomainName, via: ServerTargetBase)
    /// One record set at one server over one transport.
    case records(
        name: DomainName, type: RecordType, expectation: RecordSetExpectation, server: ServerTarget,
        transport: SpecTransport)
    /// A field of the zone's SOA.
    case soaField(zone: DomainName, field: SOAField, server: ServerTarget, transport: SpecTransport)
    /// The SOA serial from every listed server and every authoritative NS address, over each transport.
    case soaConsistency(zone: DomainName, servers: [ServerTarget], transports: [SpecTransport], maxDrift: UInt32)
    /// Every MX exchange of `zone` has an A or AAAA record.
    case mxResolves(zone: DomainName, server: ServerTarget, transport: SpecTransport)
    /// The SMTP hosts of a session can be found (MX and addresses); prerequisite of the sessions.
    case smtpHosts(domain: DomainName, target: SMTPTarget, server: ServerTarget, transport: SpecTransport)
    /// One step of the SMTP session(s) to a host selection.
    case smtp(session: SMTPSessionPlan, step: SMTPStep)
    /// A check of a registered family, judged by the family.
    case family(FamilyCheck)

    /// Whether the check asks the system resolvers (`system`, or `authoritative` found through them).
    public var usesSystemResolvers: Bool {
        func system(_ t: ServerTarget) -> Bool {
            switch t {
            case .system, .authoritative(_, .system): return true
            default: return false
            }
        }
        switch self {
        case .discovery(_, let via): return via == .system
        case .records(_, _, _, let s, _), .soaField(_, _, let s, _), .mxResolves(_, let s, _),
            .smtpHosts(_, _, let s, _):
            return system(s)
        case .soaConsistency(_, let servers, _, _): return servers.contains(where: system)
        case .smtp(let session, _):
            if case .host(let h) = session.target, case .address = h.host { return false }
            return system(session.resolver)
        case .family(let f): return f.value.server.map(system) ?? false
        }
    }

    /// An SMTP session step or the lookup of its hosts (what `--skip smtp` leaves out).
    public var isSMTP: Bool {
        switch self {
        case .smtp, .smtpHosts: return true
        default: return false
        }
    }
}

public enum SOAField: Hashable, Sendable, CustomStringConvertible {
    case present
    case mname(DomainName)
    case rname(DomainName)
    case serial(NumberExpectation)

    public var description: String {
        switch self {
        case .present: return "soa"
        case .mname: return "soa.mname"
        case .rname: return "soa.rname"
        case .serial: return "soa.serial"
        }
    }
}

/// One check of the plan.
public struct Check: Hashable, Sendable, Identifiable {
    public var id: CheckID
    public var kind: CheckKind
    /// Where in which spec file the expectation was written.
    public var location: SourceLocation
    public var domain: DomainName
    public var tags: [String]
    /// Checks that must pass first; when one does not, this check is skipped.
    public var dependencies: [CheckID]
    /// The run-time settings for DNS queries.
    public var timeout: Duration
    public var retries: Int
    /// Reported, but never fails the run: SMTPDiag's local-domain checks, since "internal DNS unaware
    /// of external DNS" is a valid topology.
    public var advisory: Bool = false

    public init(
        id: CheckID, kind: CheckKind, location: SourceLocation, domain: DomainName, tags: [String],
        dependencies: [CheckID], timeout: Duration, retries: Int, advisory: Bool = false
    ) {
        self.id = id
        self.kind = kind
        self.location = location
        self.domain = domain
        self.tags = tags
        self.dependencies = dependencies
        self.timeout = timeout
        self.retries = retries
        self.advisory = advisory
    }
}

/// The compiled checks of a set of spec files, in a stable order.
public struct CheckPlan: Sendable {
    public var checks: [Check]
    public init(checks: [Check]) { self.checks = checks }
}
