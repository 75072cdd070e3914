import SMTPDiagDNSWire

/// The spec half of a family of checks: its key under `domains.NAME`, the JSON Schema of the key's value, and
/// how the value is read (with located diagnostics). The plan and run halves refine it (`PlanFamily`,
/// `CheckFamily`); a family is one type, in one file, registered once.
public protocol SpecFamily: Sendable {
    /// The key under `domains.NAME` (or at the top of the file, for a family of `file` scope), also the
    /// expectation's name in check ids.
    static var key: String { get }
    /// Where the key is written: under each domain (most families) or at the top of a file (`routes`).
    static var scope: FamilyScope { get }
    /// The JSON Schema (draft-07) of the key's value; `#/definitions/NAME` references the shared definitions.
    static func schema() -> SchemaFragment
    /// Reads the key's value; on a problem, reports it through `reader` and returns nil.
    static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)?
    /// What is wrong with the entry given the domain's other entries (a key that needs another), or nil.
    static func problem(_ entry: FamilyEntry, among entries: [FamilyEntry]) -> String?
}

extension SpecFamily {
    public static var scope: FamilyScope { .domain }
    public static func problem(_ entry: FamilyEntry, among entries: [FamilyEntry]) -> String? { nil }
}

public enum FamilyScope: Sendable {
    case domain, file
}

/// A JSON Schema fragment (JSON values: dictionaries, arrays, strings, numbers, booleans).
public struct SchemaFragment: @unchecked Sendable {
    public let json: [String: Any]
    public init(_ json: [String: Any]) { self.json = json }
}

/// What a family read from a spec: compared and hashed like any part of a domain.
public protocol FamilyExpectation: Hashable, Sendable {}

/// A family's expectation with its key and where it was written, as a domain holds it.
public struct FamilyEntry: Hashable, Sendable {
    public let key: String
    public let value: any FamilyExpectation
    /// Where the value and its key were written.
    public let location: SourceLocation
    public let keyLocation: SourceLocation

    public init(key: String, value: any FamilyExpectation, location: SourceLocation, keyLocation: SourceLocation) {
        self.key = key
        self.value = value
        self.location = location
        self.keyLocation = keyLocation
    }

    public static func == (a: FamilyEntry, b: FamilyEntry) -> Bool {
        a.key == b.key && a.location == b.location && AnyHashable(a.value) == AnyHashable(b.value)
    }

    public func hash(into h: inout Hasher) {
        h.combine(key)
        h.combine(AnyHashable(value))
    }
}

/// One value of a spec file as a family sees it: where it is and what it holds, not how YAML spells it.
public struct SpecValue {
    let node: YNode
    /// The key path, e.g. `domains.example.test.spf`.
    public let path: String

    init(_ node: YNode, _ path: String) {
        self.node = node
        self.path = path
    }

    /// This value under a key or index of it: `value.child(node, "policy")`.
    func child(_ node: YNode, _ key: String) -> SpecValue { SpecValue(node, path.isEmpty ? key : "\(path).\(key)") }
}

/// What a family reads its value with: the same checks, messages and locations as every built-in key.
public struct SpecValueReader {
    var reader: SpecReader
    /// The domain the value belongs to: relative names are relative to it.
    public let domain: DomainName

    init(reader: SpecReader, domain: DomainName) {
        self.reader = reader
        self.domain = domain
    }

    public func location(_ v: SpecValue) -> SourceLocation { reader.walker.location(v.node) }

    /// Reports a problem with `v`.
    public mutating func error(_ v: SpecValue, _ message: String, expected: String? = nil) {
        reader.walker.error(v.node, v.path, message, expected: expected, found: YAMLWalker.describe(v.node))
    }

    /// One key of a mapping and its value.
    public struct Pair {
        public let key: String
        public let value: SpecValue
        public let keyLocation: SourceLocation
    }

    /// A mapping whose keys are among `known` (an unknown key is reported with the nearest known one).
    public mutating func mapping(_ v: SpecValue, known: [String], what: String) -> [Pair]? {
        let walker = reader.walker
        return reader.walker.mapping(v.node, v.path, known: known, what: what)?.map {
            Pair(key: $0.0, value: v.child($0.2, $0.0), keyLocation: walker.location($0.1))
        }
    }

    /// The pairs of a mapping whose keys are names the spec chooses (selectors, recipients): any key.
    public mutating func freeMapping(_ v: SpecValue, what: String) -> [Pair]? {
        let walker = reader.walker
        return reader.walker.freeMapping(v.node, v.path, what: what)?.map {
            Pair(key: $0.0, value: v.child($0.2, $0.0), keyLocation: walker.location($0.1))
        }
    }

    /// A list of items, each read by `item`; the items it could not read are left out (and said).
    public mutating func list<Item>(
        _ v: SpecValue, what: String, _ item: (inout SpecValueReader, SpecValue) -> Item?
    ) -> [Item]? {
        guard let values = sequence(v, what: what) else { return nil }
        var out: [Item] = []
        for value in values { if let x = item(&self, value) { out.append(x) } }
        return out
    }

    public mutating func sequence(_ v: SpecValue, what: String) -> [SpecValue]? {
        reader.walker.sequence(v.node, v.path, what: what)?.enumerated().map {
            SpecValue($0.element, "\(v.path)[\($0.offset)]")
        }
    }

    /// A string (environment variables expanded).
    public mutating func string(_ v: SpecValue, what: String = "a string") -> String? {
        reader.walker.string(v.node, v.path, what: what)
    }

    public mutating func bool(_ v: SpecValue) -> Bool? { reader.walker.bool(v.node, v.path) }

    public mutating func integer(_ v: SpecValue, range: ClosedRange<Int64>, what: String) -> Int64? {
        reader.walker.integer(v.node, v.path, range: range, what: what)
    }

    public mutating func duration(_ v: SpecValue) -> Duration? { reader.walker.duration(v.node, v.path) }

    /// An integer or `{min, max}`.
    public mutating func number(_ v: SpecValue, range: ClosedRange<Int64>, what: String) -> NumberExpectation? {
        reader.readNumber(v.node, v.path, range: range, what: what)
    }

    /// A name, relative to the domain unless it ends in `.` (`@` is the domain).
    public mutating func name(_ v: SpecValue, what: String = "a name") -> DomainName? {
        guard let s = string(v, what: what) else { return nil }
        return reader.domainName(s, v.node, v.path, origin: domain)
    }

    /// A record set of `type`: a list (the exact set) or a mapping of equals, contains, excludes, count, absent, ttl.
    public mutating func recordSet(_ v: SpecValue, type: RecordType) -> RecordSetExpectation? {
        reader.readRecordSet(v.node, v.path, type: type, origin: domain)
    }

    /// One entry of `routes:`: `{from, to, tags, local_dns, remote_dns}`.
    public mutating func route(_ v: SpecValue) -> RouteSpec? { reader.readRoute(v.node, v.path) }

    /// A domain's `smtp`: its settings, `hosts` and `expect`.
    public mutating func domainSMTP(_ v: SpecValue) -> SMTPSpec? {
        reader.readDomainSMTP(v.node, v.path, domain: domain)
    }

    /// `{name, type, ...}`: a record set of any type at any name of the domain.
    public mutating func record(_ v: SpecValue) -> RecordExpectation? {
        reader.readRecord(v.node, v.path, origin: domain)
    }
}
