import SMTPDiagDNSWire
import SMTPDiagSpec

/// The plan half of a family of checks: what its expectation compiles to. It refines the spec half; the run
/// half (`CheckFamily`, in the runner) refines this one.
public protocol PlanFamily: SpecFamily {
    /// Adds the checks of the domain's expectation (`entry.value` is what `read` returned).
    static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan)
    /// Adds the checks for a domain that does not write the key (a default, such as `mx_resolves` when `mx` is
    /// there); none unless the family says.
    static func compileDefault(_ domain: inout DomainPlan)
    /// Whether the entry's checks need the domain's authoritative servers found first (even when the domain does
    /// not ask `authoritative` itself).
    static func needsDiscovery(_ entry: FamilyEntry) -> Bool
    /// Adds the checks of an entry at the top of a file (a family of `file` scope, `routes`).
    static func compileFile(_ entry: FamilyEntry, _ file: inout FilePlan)
}

extension PlanFamily {
    public static func compileDefault(_ domain: inout DomainPlan) {}
    public static func needsDiscovery(_ entry: FamilyEntry) -> Bool { false }
    public static func compileFile(_ entry: FamilyEntry, _ file: inout FilePlan) {}
}

/// One spec file as a family of file scope plans it: the file's servers and defaults, the checks so far, and the
/// problems found (a server name not defined).
public struct FilePlan {
    public let file: SpecFile
    var checks: [Check] = []
    var diagnostics: [SpecDiagnostic] = []

    init(file: SpecFile) { self.file = file }

    public mutating func add(_ check: Check) { checks.append(check) }
    public mutating func add(_ more: [Check]) { checks += more }

    public mutating func error(_ location: SourceLocation, path: String, _ message: String) {
        diagnostics.append(SpecDiagnostic(location, path: path, message))
    }

    /// DNS settings naming `servers` (when given), over the file's defaults and the built-in ones.
    public func dnsSettings(servers: [Located<String>]?) -> DNSSettings {
        var s = DNSSettings()
        s.servers = servers
        return PlanCompiler.dnsSettings(s, file)
    }

    /// The servers `settings` names for `zone`, or nil after saying which name is not defined (at `path`).
    public mutating func servers(_ settings: DNSSettings, zone: DomainName, path: String) -> Servers? {
        PlanCompiler.servers(settings, file: file, zone: zone, path: path, diagnostics: &diagnostics)
    }
}

/// What a family's check carries into the run: the family's own data, judged by the family's `evaluate`.
public protocol FamilyCheckValue: Hashable, Sendable, CustomStringConvertible {
    /// The DNS server the check asks, when it asks one (the plan notes checks that ask the system resolvers).
    var server: ServerTarget? { get }
}

extension FamilyCheckValue {
    public var server: ServerTarget? { nil }
}

/// A check of a registered family: its key and its value.
public struct FamilyCheck: Hashable, Sendable, CustomStringConvertible {
    public let family: String
    public let value: any FamilyCheckValue

    public init(family: String, value: any FamilyCheckValue) {
        self.family = family
        self.value = value
    }

    public var description: String { value.description }

    public static func == (a: FamilyCheck, b: FamilyCheck) -> Bool {
        a.family == b.family && AnyHashable(a.value) == AnyHashable(b.value)
    }

    public func hash(into h: inout Hasher) {
        h.combine(family)
        h.combine(AnyHashable(value))
    }
}

/// One domain as its families plan it: the zone, the DNS servers and transports it is checked at, and the
/// checks planned so far. Ids are made here, in the one form every check has.
public struct DomainPlan {
    public let zone: DomainName
    /// The id prefix: the zone in lower case without its final dot.
    public let prefix: String
    public let servers: [ServerTarget]
    public let transports: [SpecTransport]
    /// The server the `authoritative` servers are found through, and the check that finds them.
    public let discoveryVia: ServerTargetBase
    public let discoveryID: CheckID
    /// What the domain wrote for every family.
    public let entries: [FamilyEntry]
    /// The file's `defaults.smtp`.
    public let defaultSMTP: SMTPSettings
    public let tags: [String]
    /// The DNS settings of the domain's queries.
    public let timeout: Duration
    public let retries: Int
    var checks: [Check] = []

    /// Checks made elsewhere (`SMTPPlanning`), in this order.
    public mutating func append(_ more: [Check]) { checks += more }

    /// The domain's entry for a family's key, if it wrote one.
    public func entry(_ key: String) -> FamilyEntry? { entries.first { $0.key == key } }

    /// A check of this domain, `prefix/expectation` (`example.test/soa.consistent`), or with a qualifier, a server
    /// and a transport `prefix/expectation[qualifier]@server/transport`.
    public mutating func add(
        _ expectation: String, qualifier: String? = nil, _ kind: CheckKind, _ location: SourceLocation,
        server: ServerTarget? = nil, transport: SpecTransport? = nil, dependencies: [CheckID] = []
    ) {
        let id = CheckID(
            .domain(prefix), expectation, qualifier: qualifier, server: server?.endpoint, transport: transport)
        checks.append(
            Check(
                id: id, kind: kind, location: location, domain: zone, tags: tags, dependencies: dependencies,
                timeout: timeout, retries: retries))
    }

    /// One check per DNS server and transport of the domain, `prefix/expectation@server/transport`; checks of the
    /// `authoritative` servers wait for their discovery.
    public mutating func perQuery(
        _ expectation: String, qualifier: String? = nil, _ location: SourceLocation,
        _ make: (ServerTarget, SpecTransport) -> CheckKind
    ) {
        for server in servers {
            for t in transports {
                var deps: [CheckID] = []
                if case .authoritative = server { deps = [discoveryID] }
                add(
                    expectation, qualifier: qualifier, make(server, t), location, server: server, transport: t,
                    dependencies: deps)
            }
        }
    }
}
