import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagSMTP
import SMTPDiagSMTPWire
import SMTPDiagSpec

/// A family of checks, whole: its spec key and schema (`SpecFamily`), what it compiles to (`PlanFamily`) and how
/// its checks are judged (here). One type in one file; `FamilyRegistry` lists the families a run knows.
public protocol CheckFamily: PlanFamily {
    /// Runs one of the family's checks (`check.kind` is `.family` with this family's key) and judges it.
    static func evaluate(_ value: any FamilyCheckValue, _ context: FamilyContext) async -> [CheckResult]
}

extension CheckFamily {
    /// Families whose checks are built-in kinds (a record set, an SOA field) are judged by the runner itself.
    public static func evaluate(_ value: any FamilyCheckValue, _ context: FamilyContext) async -> [CheckResult] {
        [context.result(.error, "the \(key) family has no checks of its own to evaluate")]
    }
}

/// The families a run knows, in the order their checks are planned. The loader, the schema, the compiler and
/// the runner all take their families from one registry.
public struct FamilyRegistry: Sendable {
    public let families: [any CheckFamily.Type]

    public init(_ families: [any CheckFamily.Type]) { self.families = families }

    /// A registry with `family` added after the others.
    public func adding(_ family: any CheckFamily.Type) -> FamilyRegistry { FamilyRegistry(families + [family]) }

    public var spec: [any SpecFamily.Type] { families }
    public var plan: [any PlanFamily.Type] { families }

    public func family(_ key: String) -> (any CheckFamily.Type)? { families.first { $0.key == key } }
}

/// What a family's `evaluate` works with: the check, the DNS (through the run's cache, per concrete server),
/// and the results it returns.
public struct FamilyContext: Sendable {
    let runner: Runner
    public let check: Check

    /// A result of the check (its id, location, tags and advisory flag).
    public func result(_ status: CheckStatus, _ message: String) -> CheckResult {
        Runner.result(check, status, message)
    }

    /// Asks `question` at each concrete server of `target` (every address of every NS for `authoritative`, each
    /// resolver for `system`) over `transport` and judges each answer: one result a server, its id naming it.
    /// An answer that cannot be judged (timeout, SERVFAIL, truncated, a referral) is an error, never a failure.
    public func perServer(
        _ target: ServerTarget, _ transport: SpecTransport, question: Question,
        judge: (DNSResponse) -> Matchers.Verdict
    ) async -> [CheckResult] {
        await runner.perServer(check, target, transport, judge: judge) { question }
    }

    /// One question to one server, through the run's cache (a question asked by several checks is sent once).
    public func ask(_ question: Question, at server: DNSServerAddress, over transport: SpecTransport) async -> Result<
        DNSResponse, DNSClientError
    > {
        await runner.ask(question, server, transport, check)
    }

    /// One question to one server as a resolver asks it: over UDP, again over TCP when the answer is truncated.
    public func askWhole(_ question: Question, at server: DNSServerAddress) async -> Result<DNSResponse, DNSClientError>
    {
        await runner.askWhole(question, server, check)
    }

    /// Why an answer cannot be judged (a timeout, SERVFAIL or REFUSED, a truncation, a referral), or nil.
    public static func unusable(_ answer: Result<DNSResponse, DNSClientError>) -> String? {
        if case .unusable(let why) = Runner.usable(answer) { return why }
        return nil
    }

    /// Runs `body` at each concrete server of `target`, one result each, named as `perServer` names them;
    /// `body` gets the result to fill in (an error with no message until it says otherwise).
    public func eachServer(
        _ target: ServerTarget, _ body: (DNSServerAddress, inout CheckResult) async -> Void
    ) async -> [CheckResult] {
        switch await runner.servers(target) {
        case .failure(let reason):
            return [result(.error, reason.text)]
        case .success(let list):
            var out: [CheckResult] = []
            for (label, address) in list {
                var r = Runner.result(check, .error, "", id: Runner.expandedID(check, server: target, label: label))
                await body(address, &r)
                out.append(r)
            }
            return out
        }
    }

    /// The concrete servers of a target with the endpoints their results are named after, or why there are none.
    public func servers(_ target: ServerTarget) async -> Result<[(Endpoint, DNSServerAddress)], Problem> {
        await runner.servers(target)
    }

    /// An SMTP session through the run's SMTP probe (never DATA).
    public func smtpSession(
        address: String, port: Int, serverName: String?, configuration: SMTPSessionConfiguration, tls: SMTPTLSSettings
    ) async -> SMTPSessionRecord {
        await runner.smtp.session(
            address: address, port: port, serverName: serverName, configuration: configuration, tls: tls)
    }

    /// A probe of another kind the run was given (`RunOptions.probes`): an HTTPS client, a zone-file DNS source.
    public func probe<P: Sendable>(_ type: P.Type) -> P? { runner.options.probes[type] }

    /// A result of the check at one server (`authoritative` and `system` checks name the server they asked).
    public func result(_ status: CheckStatus, _ message: String, at server: Endpoint) -> CheckResult {
        Runner.result(check, status, message, id: check.id.at(server))
    }

    /// The records of `type` owned by `name` in an answer (after following CNAMEs within it).
    public static func records(_ response: DNSResponse, name: DomainName, type: RecordType) -> [ResourceRecord] {
        Runner.records(response, name: name, type: type)
    }
}

/// Probes of other kinds than DNS and SMTP, by their type: a run gets new ones without a new initializer.
public struct ProbeSet: Sendable {
    private var probes: [ObjectIdentifier: any Sendable] = [:]

    public init() {}

    public subscript<P: Sendable>(_ type: P.Type) -> P? {
        get { probes[ObjectIdentifier(type)] as? P }
        set { probes[ObjectIdentifier(type)] = newValue }
    }
}
