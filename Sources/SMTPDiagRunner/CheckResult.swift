import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagSpec

/// How a check ended (contract "Outcomes").
public enum CheckStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// It ran and the answer was right.
    case pass
    /// It ran and the answer was wrong.
    case fail
    /// It could not run: timeout, refused, SERVFAIL, truncated over UDP, TLS failure when not asserted.
    case error
    /// A prerequisite did not pass, it was filtered out, or the run ended before it.
    case skip
}

/// What a check saw, for `-v` and the reports.
public struct Evidence: Sendable, Hashable {
    /// DNS answers, one line each: `server transport rcode flags: records`.
    public var dns: [String] = []
    /// SMTP dialogue lines (`Sent: ...`, `Received: ...`), with the session's peer first.
    public var smtp: [String] = []
    /// TLS details after STARTTLS.
    public var tls: [String: String] = [:]
    /// DNS evidence noted during evaluation, rendered into `dns` only when it is kept (a passing check's
    /// evidence is dropped unless the run is verbose: rendering it was a tenth of a fleet run's time). The
    /// first note is held apart: most checks note one answer, and an array for it was an allocation a check.
    var firstNoted: Noted?
    var moreNoted: [Noted] = []
    public init() {}

    enum Noted: Sendable {
        case answer(Result<DNSResponse, DNSClientError>, Question)
        case text(String)
    }

    private mutating func add(_ n: Noted) {
        if firstNoted == nil { firstNoted = n } else { moreNoted.append(n) }
    }

    /// Notes a DNS answer (or a failure to get one) for the evidence.
    public mutating func note(_ answer: Result<DNSResponse, DNSClientError>, _ question: Question) {
        add(.answer(answer, question))
    }

    /// Notes a line of evidence of the family's own (an evaluation's trace), kept like DNS answers.
    public mutating func note(_ text: String) { add(.text(text)) }

    /// Renders the noted DNS evidence into `dns` when `keep`, and lets go of the answers either way.
    mutating func settle(keep: Bool) {
        guard let first = firstNoted else { return }
        if keep {
            for n in CollectionOfOne(first) + moreNoted {
                switch n {
                case .answer(let a, let q): dns.append(Self.line(a, q))
                case .text(let t): dns.append(t)
                }
            }
        }
        firstNoted = nil
        moreNoted = []
    }

    /// One DNS evidence line: `question @server transport -> rcode [flags] Nms: records`.
    static func line(_ r: Result<DNSResponse, DNSClientError>, _ q: Question) -> String {
        switch r {
        case .failure(let e): return "\(q) -> \(e)"
        case .success(let m):
            // Each section labelled: a referral's NS set is not an answer.
            var sections: [String] = []
            if !m.message.answers.isEmpty {
                sections.append("answer: " + m.message.answers.map(\.description).joined(separator: "; "))
            }
            if !m.message.authorities.isEmpty {
                sections.append("authority: " + m.message.authorities.map(\.description).joined(separator: "; "))
            }
            return
                "\(q) @\(m.server) \(m.transport) -> \(m.rcode) [\(m.message.header.flagNames.joined(separator: " "))] "
                + "\(m.roundTrip.components.attoseconds / 1_000_000_000_000_000 + m.roundTrip.components.seconds * 1000)ms"
                + (sections.isEmpty ? "" : ": " + sections.joined(separator: " | "))
        }
    }

    public static func == (a: Evidence, b: Evidence) -> Bool { a.dns == b.dns && a.smtp == b.smtp && a.tls == b.tls }

    public func hash(into h: inout Hasher) {
        h.combine(dns)
        h.combine(smtp)
        h.combine(tls)
    }
}

/// The outcome of one check (one plan check, or one run-time expansion of it: one NS address, one
/// MX address).
public struct CheckResult: Sendable, Hashable {
    /// Takes a matcher's verdict: pass or fail, with its message, expected, actual, missing and extra.
    public mutating func apply(_ v: Matchers.Verdict) {
        status = v.pass ? .pass : .fail
        message = v.message
        expected = v.expected
        actual = v.actual
        missing = v.missing
        extra = v.extra
    }

    /// The result's id: the plan id with run-time expansions filled in.
    public var id: CheckID
    /// The plan check it came from.
    public var planID: CheckID
    public var status: CheckStatus
    /// One line: why it failed, errored or was skipped; what was seen when it passed.
    public var message: String
    public var expected: String?
    public var actual: String?
    public var missing: [String]
    public var extra: [String]
    public var location: SourceLocation
    /// The domain the check asks about (of a route: the sender's or the recipient's).
    public var domainName: DomainName
    public var tags: [String]
    public var duration: Duration
    public var evidence: Evidence
    /// Reported but never counted for the exit code (SMTPDiag's local-domain checks).
    public var advisory: Bool = false
    /// Left out by `--tag`, `--only`, `--shard` or `--skip` (then `skip`): counted, not listed one by one.
    public var unselected: Bool = false

    public init(
        id: CheckID, planID: CheckID, status: CheckStatus, message: String, expected: String? = nil,
        actual: String? = nil, missing: [String] = [], extra: [String] = [], location: SourceLocation,
        domainName: DomainName, tags: [String], duration: Duration = .zero, evidence: Evidence = Evidence()
    ) {
        self.id = id
        self.planID = planID
        self.status = status
        self.message = message
        self.expected = expected
        self.actual = actual
        self.missing = missing
        self.extra = extra
        self.location = location
        self.domainName = domainName
        self.tags = tags
        self.duration = duration
        self.evidence = evidence
    }

    /// `domainName` as reports show it: without its final dot.
    public var domain: String { String(domainName.description.dropLast()) }

    /// A result for a domain given as text (`example.test`).
    public init(
        id: CheckID, planID: CheckID, status: CheckStatus, message: String, expected: String? = nil,
        actual: String? = nil, missing: [String] = [], extra: [String] = [], location: SourceLocation, domain: String,
        tags: [String], duration: Duration = .zero, evidence: Evidence = Evidence()
    ) {
        self.init(
            id: id, planID: planID, status: status, message: message, expected: expected, actual: actual,
            missing: missing, extra: extra, location: location,
            domainName: (try? DomainName(parsing: domain.hasSuffix(".") ? domain : domain + ".")) ?? ".", tags: tags,
            duration: duration, evidence: evidence)
    }
}

/// Everything a run produced, for the reporters.
public struct RunReport: Sendable {
    public var results: ResultList
    public var started: Double
    public var duration: Duration
    /// Ctrl-C or the run deadline ended it early: unfinished checks are `skip` with "not run".
    public var interrupted: Bool
    public var interruptReason: String?
    public var files: [String]
    /// Checks in the plan, before run-time expansion (one per NS address, per MX address) made more results.
    public var planned: Int?

    public init(
        results: ResultList, started: Double, duration: Duration, interrupted: Bool, interruptReason: String? = nil,
        files: [String]
    ) {
        self.results = results
        self.started = started
        self.duration = duration
        self.interrupted = interrupted
        self.interruptReason = interruptReason
        self.files = files
    }

    /// Advisory results that did not pass: shown as advice, never counted for the exit code.
    public var adviceCount: Int { adviceCount(.fail) + adviceCount(.error) }

    /// Advisory results with `status`.
    public func adviceCount(_ status: CheckStatus) -> Int {
        var n = 0
        for i in results.indices where results.isAdvisory(at: i) && results.status(at: i) == status { n += 1 }
        return n
    }

    public func count(_ status: CheckStatus) -> Int {
        var n = 0
        for i in results.indices where results.status(at: i) == status { n += 1 }
        return n
    }

    /// Like `count`, without the advisory results.
    func counting(_ status: CheckStatus) -> Int {
        var n = 0
        for i in results.indices where results.status(at: i) == status && !results.isAdvisory(at: i) { n += 1 }
        return n
    }

    /// Contract exit codes: 1 when any check failed, else 3 when any errored, else 0. (2 is for invalid
    /// specs and usage, decided before a run.) Reporters never decide it.
    public var exitCode: Int32 {
        if counting(.fail) > 0 { return 1 }
        // An interrupted run did not check everything: never report it as a clean pass.
        if counting(.error) > 0 || interrupted { return 3 }
        return 0
    }
}
