import SMTPDiagDNSWire
import Synchronization

/// DNS transports a spec can name. (The runner maps them to the DNS engine's own type.)
public enum SpecTransport: String, Sendable, Hashable, CaseIterable, Codable {
    case udp, tcp
}

/// `starttls:` in SMTP settings.
public enum StartTLSMode: String, Sendable, Hashable, CaseIterable, Codable {
    case required, optional, off
}

/// A number expectation: an integer (exact) or `{min, max}`.
public enum NumberExpectation: Hashable, Sendable, Codable, CustomStringConvertible {
    case exact(Int64)
    case range(min: Int64?, max: Int64?)

    public func matches(_ v: Int64) -> Bool {
        switch self {
        case .exact(let e): return v == e
        case .range(let lo, let hi): return (lo.map { v >= $0 } ?? true) && (hi.map { v <= $0 } ?? true)
        }
    }

    public var description: String {
        switch self {
        case .exact(let e): return "\(e)"
        case .range(let lo, let hi):
            switch (lo, hi) {
            case (let l?, let h?): return "between \(l) and \(h)"
            case (let l?, nil): return "at least \(l)"
            case (nil, let h?): return "at most \(h)"
            case (nil, nil): return "any"
            }
        }
    }
}

/// A record-set expectation (contract "Value forms"): a list is the exact set; a mapping takes
/// `equals`, `contains`, `excludes`, `count`, `absent` and `ttl`.
public struct RecordSetExpectation: Hashable, Sendable {
    /// The fields live in one shared box, copied only when a copy is changed: a compiled plan holds the
    /// expectation once per server and transport, and its fields take over a hundred octets.
    private final class Storage: @unchecked Sendable {
        var equals: [RData]?
        var contains: [RData]?
        var excludes: [RData]?
        var count: NumberExpectation?
        var absent: Bool
        var ttl: NumberExpectation?
        var location: SourceLocation
        /// `text`, made on first use (the box is shared by every check of the expectation, across threads).
        let madeText = Mutex<String?>(nil)

        init(
            equals: [RData]?, contains: [RData]?, excludes: [RData]?, count: NumberExpectation?, absent: Bool,
            ttl: NumberExpectation?, location: SourceLocation
        ) {
            self.equals = equals
            self.contains = contains
            self.excludes = excludes
            self.count = count
            self.absent = absent
            self.ttl = ttl
            self.location = location
        }

        func copy() -> Storage {
            Storage(
                equals: equals, contains: contains, excludes: excludes, count: count, absent: absent, ttl: ttl,
                location: location)
        }
    }
    private var storage: Storage

    public init(
        equals: [RData]? = nil, contains: [RData]? = nil, excludes: [RData]? = nil, count: NumberExpectation? = nil,
        absent: Bool = false, ttl: NumberExpectation? = nil, location: SourceLocation
    ) {
        storage = Storage(
            equals: equals, contains: contains, excludes: excludes, count: count, absent: absent, ttl: ttl,
            location: location)
    }

    /// A field, copying the box first when it is shared.
    private subscript<T>(field: ReferenceWritableKeyPath<Storage, T>) -> T {
        get { storage[keyPath: field] }
        set {
            if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
            storage[keyPath: field] = newValue
            storage.madeText.withLock { $0 = nil }
        }
    }

    /// What is expected, as reports show it: "exactly [...], contains [...], excludes [...], count N, TTL N".
    /// Made once per expectation, not once per check that judges it.
    public var text: String {
        if let made = storage.madeText.withLock({ $0 }) { return made }
        var parts: [String] = []
        if absent { parts.append("no records") }
        if let equals { parts.append("exactly [" + equals.map(\.description).joined(separator: ", ") + "]") }
        if let contains { parts.append("contains [" + contains.map(\.description).joined(separator: ", ") + "]") }
        if let excludes { parts.append("excludes [" + excludes.map(\.description).joined(separator: ", ") + "]") }
        if let count { parts.append("count \(count)") }
        if let ttl { parts.append("TTL \(ttl)") }
        let made = parts.joined(separator: ", ")
        storage.madeText.withLock { $0 = made }
        return made
    }

    public var equals: [RData]? {
        get { self[\.equals] }
        set { self[\.equals] = newValue }
    }
    public var contains: [RData]? {
        get { self[\.contains] }
        set { self[\.contains] = newValue }
    }
    public var excludes: [RData]? {
        get { self[\.excludes] }
        set { self[\.excludes] = newValue }
    }
    public var count: NumberExpectation? {
        get { self[\.count] }
        set { self[\.count] = newValue }
    }
    public var absent: Bool {
        get { self[\.absent] }
        set { self[\.absent] = newValue }
    }
    public var ttl: NumberExpectation? {
        get { self[\.ttl] }
        set { self[\.ttl] = newValue }
    }
    public var location: SourceLocation {
        get { self[\.location] }
        set { self[\.location] = newValue }
    }

    public static func == (a: RecordSetExpectation, b: RecordSetExpectation) -> Bool {
        a.storage === b.storage
            || (a.equals == b.equals && a.contains == b.contains && a.excludes == b.excludes && a.count == b.count
                && a.absent == b.absent && a.ttl == b.ttl && a.location == b.location)
    }

    public func hash(into h: inout Hasher) {
        h.combine(equals)
        h.combine(contains)
        h.combine(excludes)
        h.combine(count)
        h.combine(absent)
        h.combine(ttl)
        h.combine(location)
    }
}

/// One entry of `records:`.
public struct RecordExpectation: Hashable, Sendable {
    public var name: DomainName
    /// The name as written, for check ids (`@`, `_dmarc`).
    public var writtenName: String
    public var type: RecordType
    public var set: RecordSetExpectation
    public var location: SourceLocation
}

/// A value and where it was written.
public struct Located<Value: Hashable & Sendable>: Hashable, Sendable {
    public var value: Value
    public var location: SourceLocation
    public init(_ value: Value, _ location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// `dns:` settings, in `defaults` or a domain; unset fields inherit.
public struct DNSSettings: Hashable, Sendable {
    public var servers: [Located<String>]?
    public var transports: [SpecTransport]?
    public var timeout: Duration?
    public var retries: Int?
    public init() {}

    /// `self` with the unset fields taken from `base`.
    public func over(_ base: DNSSettings) -> DNSSettings {
        var out = self
        out.servers = servers ?? base.servers
        out.transports = transports ?? base.transports
        out.timeout = timeout ?? base.timeout
        out.retries = retries ?? base.retries
        return out
    }
}

/// One domain of `domains:`.
public struct DomainSpec: Hashable, Sendable {
    public var name: DomainName
    public var location: SourceLocation
    public var tags: [String]
    public var dns: DNSSettings
    /// What registered families read, in the order the spec wrote their keys.
    public var families: [FamilyEntry] = []

    /// What the family of `key` read for this domain, if the domain wrote the key.
    public func expectation(_ key: String) -> (any FamilyExpectation)? { families.first { $0.key == key }?.value }
    public init(name: DomainName, location: SourceLocation) {
        self.name = name
        self.location = location
        tags = []
        dns = DNSSettings()
    }
}

/// One of `routes:`: SMTPDiag's probe.
public struct RouteSpec: Hashable, Sendable {
    public var from: String
    public var to: String
    public var location: SourceLocation
    public var tags: [String]
    /// Extension: the servers for the sender's (local) domain, as SMTPDiag's internal DNS; default the
    /// spec's `defaults.dns.servers`.
    public var localServers: [Located<String>]?
    /// Extension: the servers for the recipient's (remote) domain, as SMTPDiag's `-d`.
    public var remoteServers: [Located<String>]?

    public init(
        from: String, to: String, location: SourceLocation, tags: [String] = [], localServers: [Located<String>]? = nil,
        remoteServers: [Located<String>]? = nil
    ) {
        self.from = from
        self.to = to
        self.location = location
        self.tags = tags
        self.localServers = localServers
        self.remoteServers = remoteServers
    }
}

/// A named DNS server of `dns_servers:`.
public struct ServerDefinition: Hashable, Sendable {
    public var name: String
    public var host: String
    public var port: Int
    public var location: SourceLocation
    /// Zone files that stand for the server (`{zones: DIR}`, or `run --zones NAME=DIR`): a folder of `*.zone`
    /// files or one file, relative paths taken from the spec's folder. The host is then `zones`, the port 0.
    public var zones: String?

    public init(name: String, host: String, port: Int, location: SourceLocation, zones: String? = nil) {
        self.name = name
        self.host = host
        self.port = port
        self.location = location
        self.zones = zones
    }

    /// The host and port of zone files.
    public static let zoneFilesHost = "zones"
}

/// One loaded spec file.
public struct SpecFile: Hashable, Sendable {
    public var path: String
    public var version: Int
    public var servers: [ServerDefinition]
    public var defaultDNS: DNSSettings
    public var defaultSMTP: SMTPSettings
    public var domains: [DomainSpec]
    /// What the families of file scope read (`routes`), in the order the file wrote their keys.
    public var families: [FamilyEntry]

    public init(
        path: String, version: Int = 1, servers: [ServerDefinition], defaultDNS: DNSSettings = DNSSettings(),
        defaultSMTP: SMTPSettings = SMTPSettings(), domains: [DomainSpec] = [], families: [FamilyEntry] = []
    ) {
        self.path = path
        self.version = version
        self.servers = servers
        self.defaultDNS = defaultDNS
        self.defaultSMTP = defaultSMTP
        self.domains = domains
        self.families = families
    }
}
