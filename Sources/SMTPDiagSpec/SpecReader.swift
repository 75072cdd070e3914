import Foundation
import SMTPDiagDNSWire

/// The key sets of the contract, in one place: the loader checks against them and the schema
/// printer lists them.
public enum SpecKeys {
    public static let top = ["version", "dns_servers", "defaults", "domains", "routes"]
    public static let defaults = ["dns", "smtp"]
    public static let dns = ["servers", "transports", "timeout", "retries"]
    public static let smtpSettings = [
        "port", "helo", "mail_from", "connect_timeout", "banner_timeout", "command_timeout", "starttls", "tls_verify",
        "tls_ca_file", "tls_min_version",
    ]
    public static let domainSMTP = smtpSettings + ["hosts", "expect"]
    /// The domain keys the spec module reads itself; families add theirs (`SpecFamily`).
    public static let domain = ["tags", "dns", "smtp"]
    /// Every domain key of the contract, built-in or a family's, in the order messages list them.
    public static let domainOrder = ["tags", "dns", "soa", "ns", "mx", "mx_resolves", "records", "smtp"]
    public static let recordSet = ["equals", "contains", "excludes", "count", "absent", "ttl"]
    public static let record = ["name", "type"] + recordSet
    public static let expect = ["banner", "ehlo", "extensions", "starttls", "mail_from", "rcpt", "quit"]
    public static let reply = ["code", "enhanced", "text"]
    public static let range = ["min", "max"]
    public static let route = ["from", "to", "tags", "local_dns", "remote_dns"]
    /// Server names every spec may use without defining them.
    public static let predefinedServers = ["system", "authoritative"]
}

/// Reads the composed tree of one file into a `SpecFile`.
struct SpecReader {
    var walker: YAMLWalker
    let directory: String
    /// Registered families, in registration order, and the keys a domain may hold (built-in keys first).
    let families: [any SpecFamily.Type]
    let domainKeys: [String]

    init(walker: YAMLWalker, directory: String, families: [any SpecFamily.Type] = []) {
        self.walker = walker
        self.directory = directory
        self.families = families
        let familyKeys = families.map { $0.key }
        // In the contract's order (the order unknown-key messages list them), then the other families'.
        self.domainKeys =
            SpecKeys.domainOrder.filter { SpecKeys.domain.contains($0) || familyKeys.contains($0) }
            + familyKeys.filter { !SpecKeys.domainOrder.contains($0) }
    }

    mutating func read(_ root: YNode, path file: String) -> SpecFile? {
        guard let pairs = walker.mapping(root, "", known: SpecKeys.top, what: "a mapping with version and domains")
        else { return nil }
        var spec = SpecFile(
            path: file, version: 0, servers: [], defaultDNS: DNSSettings(), defaultSMTP: SMTPSettings(), domains: [],
            routes: [])
        var sawVersion = false
        for (key, _, value) in pairs {
            switch key {
            case "version":
                sawVersion = true
                if let v = walker.integer(value, "version", range: 1...1, what: "1 (the only version)") {
                    spec.version = Int(v)
                }
            case "dns_servers": spec.servers = readServers(value)
            case "defaults":
                guard let d = walker.mapping(value, "defaults", known: SpecKeys.defaults, what: "a mapping") else {
                    continue
                }
                for (k, _, v) in d {
                    if k == "dns" { spec.defaultDNS = readDNS(v, "defaults.dns") }
                    if k == "smtp" {
                        spec.defaultSMTP =
                            readSMTPSettings(v, "defaults.smtp", known: SpecKeys.smtpSettings) ?? SMTPSettings()
                    }
                }
            case "domains":
                guard let list = walker.freeMapping(value, "domains", what: "a mapping of domain names") else {
                    continue
                }
                spec.domains += readDomains(list)
            case "routes":
                guard let list = walker.sequence(value, "routes", what: "a list of {from, to}") else { continue }
                for (i, r) in list.enumerated() {
                    if let route = readRoute(r, "routes[\(i)]") { spec.routes.append(route) }
                }
            default: break
            }
        }
        if !sawVersion {
            walker.error(root, "version", "missing key `version`", expected: "version: 1")
        }
        if spec.domains.isEmpty && spec.routes.isEmpty && walker.diagnostics.isEmpty {
            walker.error(root, "domains", "the spec checks nothing", expected: "at least one domain or route")
        }
        return spec
    }

    // MARK: - Servers and settings

    mutating func readServers(_ node: YNode) -> [ServerDefinition] {
        guard let list = walker.freeMapping(node, "dns_servers", what: "a mapping of NAME: ADDRESS[:PORT]") else {
            return []
        }
        var out: [ServerDefinition] = []
        for (name, k, v) in list {
            let path = "dns_servers.\(name)"
            if SpecKeys.predefinedServers.contains(name) {
                walker.error(k, path, "`\(name)` is predefined and cannot be redefined")
                continue
            }
            guard
                let text = walker.string(
                    v, path, what: "an address such as 127.0.0.10, \"127.0.0.12:53\" or \"[::1]:5353\"")
            else { continue }
            guard let (host, port) = Self.parseAddress(text, defaultPort: 53) else {
                walker.error(
                    v, path, "not an IP address with an optional port",
                    expected: "an address such as 127.0.0.10, \"127.0.0.12:53\" or \"[::1]:5353\"",
                    found: YAMLWalker.describe(v))
                continue
            }
            out.append(ServerDefinition(name: name, host: host, port: port, location: walker.location(k)))
        }
        return out
    }

    /// `ADDRESS`, `ADDRESS:PORT`, `IPv6`, `[IPv6]:PORT`; nil when not an IP literal with a valid port.
    static func parseAddress(_ text: String, defaultPort: Int) -> (String, Int)? {
        guard let (host, port) = parseAddress(text) else { return nil }
        return (host, port ?? defaultPort)
    }

    /// The host and the port if one was written.
    static func parseAddress(_ text: String) -> (String, Int?)? {
        var host = text
        var port: Int? = nil
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()) else { return nil }
                port = p
            }
            guard (try? Presentation.ipv6(host, field: "address")) != nil else { return nil }
        } else if text.filter({ $0 == ":" }).count > 1 {
            guard (try? Presentation.ipv6(host, field: "address")) != nil else { return nil }
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2 {
                guard let p = Int(parts[1]) else { return nil }
                port = p
            }
            host = String(parts[0])
            guard (try? Presentation.ipv4(host, field: "address")) != nil else { return nil }
        }
        if let port, !(1...65535).contains(port) { return nil }
        return (host, port)
    }

    mutating func readDNS(_ node: YNode, _ path: String) -> DNSSettings {
        var out = DNSSettings()
        guard let pairs = walker.mapping(node, path, known: SpecKeys.dns, what: "a mapping") else { return out }
        for (key, _, v) in pairs {
            let p = join(path, key)
            switch key {
            case "servers":
                guard let list = walker.sequence(v, p, what: "a list of server names") else { continue }
                var names: [Located<String>] = []
                for (i, n) in list.enumerated() {
                    if let s = walker.string(n, "\(p)[\(i)]", what: "a server name") {
                        names.append(Located(s, walker.location(n)))
                    }
                }
                if names.isEmpty { walker.error(v, p, "empty list", expected: "at least one server") }
                out.servers = names
            case "transports":
                guard let list = walker.sequence(v, p, what: "a list of udp and tcp") else { continue }
                var ts: [SpecTransport] = []
                for (i, n) in list.enumerated() {
                    guard let s = walker.string(n, "\(p)[\(i)]", what: "udp or tcp") else { continue }
                    guard let t = SpecTransport(rawValue: s.lowercased()) else {
                        walker.error(
                            n, "\(p)[\(i)]", "unknown transport", expected: "udp or tcp", found: YAMLWalker.describe(n))
                        continue
                    }
                    if !ts.contains(t) { ts.append(t) }
                }
                if ts.isEmpty { walker.error(v, p, "empty list", expected: "udp, tcp or both") }
                out.transports = ts
            case "timeout": out.timeout = walker.duration(v, p)
            case "retries":
                if let r = walker.integer(v, p, range: 0...10, what: "a number of retransmissions, 0 to 10") {
                    out.retries = Int(r)
                }
            default: break
            }
        }
        return out
    }

    mutating func readSMTPSettings(_ node: YNode, _ path: String, known: [String]) -> SMTPSettings? {
        guard let pairs = walker.mapping(node, path, known: known, what: "a mapping") else { return nil }
        return readSMTPSettings(pairs, path)
    }

    mutating func readSMTPSettings(_ pairs: [(String, YNode, YNode)], _ path: String) -> SMTPSettings {
        var out = SMTPSettings()
        for (key, _, v) in pairs {
            let p = join(path, key)
            switch key {
            case "port":
                if let n = walker.integer(v, p, range: 1...65535, what: "a port, 1 to 65535") { out.port = Int(n) }
            case "helo":
                guard let s = walker.string(v, p, what: "a host name") else { continue }
                if Self.hasControlOrSpace(s) || s.isEmpty || s.utf8.count > 255 {
                    walker.error(
                        v, p,
                        "a HELO name cannot be empty, longer than 255 octets, or contain spaces or control characters",
                        found: YAMLWalker.describe(v))
                } else {
                    out.helo = s
                }
            case "mail_from":
                guard let s = walker.string(v, p, what: "an email address, or \"\" for the null sender") else {
                    continue
                }
                if s.isEmpty || checkAddress(s, v, p) { out.mailFrom = s }
            case "connect_timeout": out.connectTimeout = walker.duration(v, p)
            case "banner_timeout": out.bannerTimeout = walker.duration(v, p)
            case "command_timeout": out.commandTimeout = walker.duration(v, p)
            case "starttls":
                guard let s = walker.string(v, p, what: "required, optional or off") else { continue }
                // YAML reads a plain `off` as a string here; accept false too.
                let mode = s == "false" ? StartTLSMode.off : StartTLSMode(rawValue: s)
                if let mode {
                    out.starttls = mode
                } else {
                    walker.error(
                        v, p, "unknown STARTTLS mode", expected: "required, optional or off",
                        found: YAMLWalker.describe(v),
                        suggestion: nearest(s, in: StartTLSMode.allCases.map(\.rawValue)))
                }
            case "tls_verify": out.tlsVerify = walker.bool(v, p)
            case "tls_min_version":
                let versions = ["1.0", "1.1", "1.2", "1.3"]
                guard let s = walker.string(v, p, what: "a TLS version: 1.0, 1.1, 1.2 or 1.3") else { continue }
                if versions.contains(s) {
                    out.tlsMinVersion = s
                } else {
                    walker.error(
                        v, p, "unknown TLS version", expected: "1.0, 1.1, 1.2 or 1.3", found: YAMLWalker.describe(v),
                        suggestion: nearest(s, in: versions))
                }
            case "tls_ca_file":
                guard let s = walker.string(v, p, what: "a path to PEM certificates") else { continue }
                out.tlsCAFile = s.hasPrefix("/") ? s : (directory as NSString).appendingPathComponent(s)
            default: break
            }
        }
        return out
    }

    /// What the SMTP command encoder refuses to send (`SMTPCommand.encoded`), refused here already so that
    /// `lint` and `run` agree: any control character, DEL, or a space.
    static func hasControlOrSpace(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0 == " " }
    }

    /// An address for MAIL FROM or RCPT TO: `local@domain`, with no CR, LF, NUL, spaces or angle brackets.
    mutating func checkAddress(_ s: String, _ node: YNode, _ path: String) -> Bool {
        if Self.hasControlOrSpace(s) || s.contains("<") || s.contains(">") || s.utf8.count > 256 {
            walker.error(
                node, path,
                "an email address cannot be longer than 256 octets or contain control characters, spaces or angle brackets",
                found: YAMLWalker.describe(node))
            return false
        }
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            (try? DomainName(parsing: String(parts[1]))) != nil
        else {
            walker.error(
                node, path, "not an email address", expected: "local-part@domain", found: YAMLWalker.describe(node))
            return false
        }
        return true
    }

    // MARK: - Domains

    /// Reads the domains in parallel chunks (each with its own walker) and joins them in order: large
    /// fleets are most of a spec, and the domains do not depend on each other.
    mutating func readDomains(_ list: [(String, YNode, YNode)]) -> [DomainSpec] {
        let chunks = list.count < 256 ? 1 : max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
        if chunks == 1 {
            return list.compactMap { readDomain($0.0, $0.1, $0.2) }
        }
        let size = (list.count + chunks - 1) / chunks
        nonisolated(unsafe) var results = Array(repeating: ([DomainSpec](), [SpecDiagnostic](), 0), count: chunks)
        let input = list
        let base = self
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var reader = base
            reader.walker.diagnostics = []
            reader.walker.visited = 0
            let slice = input[min(input.count, c * size)..<min(input.count, (c + 1) * size)]
            let domains = slice.compactMap { reader.readDomain($0.0, $0.1, $0.2) }
            results[c] = (domains, reader.walker.diagnostics, reader.walker.visited)
        }
        var out: [DomainSpec] = []
        out.reserveCapacity(list.count)
        for (domains, diagnostics, visited) in results {
            out += domains
            walker.diagnostics += diagnostics
            walker.visited += visited
        }
        if walker.visited > walker.maxVisits,
            !walker.diagnostics.contains(where: { $0.message.contains("expands to more than") }),
            let first = list.first
        {
            walker.error(
                first.2, "domains",
                "the document expands to more than \(walker.maxVisits) nodes (YAML aliases?); refusing to read further")
        }
        return out
    }

    mutating func readDomain(_ written: String, _ keyNode: YNode, _ node: YNode) -> DomainSpec? {
        let path = "domains.\(written)"
        guard let name = domainName(written, keyNode, path, origin: nil, absolute: true) else { return nil }
        var d = DomainSpec(name: name, location: walker.location(keyNode))
        if case .scalar(let s) = node, s.plain, s.string.isEmpty || s.string == "null" || s.string == "~" {
            walker.error(node, path, "the domain has no expectations", expected: "a mapping of expectations")
            return nil
        }
        guard let pairs = walker.mapping(node, path, known: domainKeys, what: "a mapping of expectations") else {
            return nil
        }
        for (key, k, v) in pairs {
            let p = join(path, key)
            switch key {
            case "tags":
                guard let list = walker.sequence(v, p, what: "a list of tags") else { continue }
                for (i, t) in list.enumerated() {
                    if let s = walker.string(t, "\(p)[\(i)]") { d.tags.append(s) }
                }
            case "dns": d.dns = readDNS(v, p)
            case "smtp": d.smtp = readDomainSMTP(v, p, domain: name)
            default:
                guard let family = families.first(where: { $0.key == key }) else { break }
                var values = SpecValueReader(reader: self, domain: name)
                let read = family.read(SpecValue(v, p), &values)
                self = values.reader
                if let read {
                    d.families.append(
                        FamilyEntry(
                            key: key, value: read, location: walker.location(v), keyLocation: walker.location(k)))
                }
            }
        }
        for entry in d.families {
            if let problem = families.first(where: { $0.key == entry.key })?.problem(entry, among: d.families) {
                walker.error(node, join(path, entry.key), problem)
            }
        }
        return d
    }

    /// A name as written in a spec: relative to `origin` unless it ends in ".", `@` for the origin.
    mutating func domainName(_ text: String, _ node: YNode, _ path: String, origin: DomainName?, absolute: Bool = false)
        -> DomainName?
    {
        do {
            if absolute {
                return try DomainName(parsing: text.hasSuffix(".") ? text : text + ".")
            }
            return try DomainName(parsing: text, origin: origin)
        } catch {
            var reason = "\(error)"
            if case .presentation(_, _, let r) = error { reason = r }
            walker.error(node, path, "not a valid domain name (\(reason))", found: YAMLWalker.describe(node))
            return nil
        }
    }

    /// An integer, or `{min, max}`.
    mutating func readNumber(_ node: YNode, _ path: String, range: ClosedRange<Int64>, what: String)
        -> NumberExpectation?
    {
        if case .mapping = node {
            guard let pairs = walker.mapping(node, path, known: SpecKeys.range, what: "{min, max}") else { return nil }
            var lo: Int64? = nil
            var hi: Int64? = nil
            for (key, _, v) in pairs {
                let n = walker.integer(v, join(path, key), range: range, what: what)
                if key == "min" { lo = n } else { hi = n }
            }
            if pairs.isEmpty { walker.error(node, path, "empty range", expected: "min, max or both") }
            if let lo, let hi, lo > hi { walker.error(node, path, "min \(lo) is greater than max \(hi)") }
            return .range(min: lo, max: hi)
        }
        return walker.integer(node, path, range: range, what: "\(what) or {min, max}").map { .exact($0) }
    }

    /// A record set: a list (the exact set) or a mapping of equals/contains/excludes/count/absent/ttl.
    mutating func readRecordSet(_ node: YNode, _ path: String, type: RecordType, origin: DomainName)
        -> RecordSetExpectation?
    {
        let location = walker.location(node)
        if case .sequence = node {
            guard let values = readValues(node, path, type: type, origin: origin) else { return nil }
            return RecordSetExpectation(equals: values, location: location)
        }
        guard
            let pairs = walker.mapping(
                node, path, known: SpecKeys.recordSet,
                what: "a list (the exact set) or a mapping of equals, contains, excludes, count, absent, ttl")
        else {
            return nil
        }
        return readRecordSetPairs(pairs, node, path, type: type, origin: origin)
    }

    mutating func readRecordSetPairs(
        _ pairs: [(String, YNode, YNode)], _ node: YNode, _ path: String, type: RecordType, origin: DomainName
    ) -> RecordSetExpectation? {
        var set = RecordSetExpectation(location: walker.location(node))
        var any = false
        for (key, _, v) in pairs {
            let p = join(path, key)
            switch key {
            case "equals": set.equals = readValues(v, p, type: type, origin: origin)
            case "contains": set.contains = readValues(v, p, type: type, origin: origin)
            case "excludes": set.excludes = readValues(v, p, type: type, origin: origin)
            case "count": set.count = readNumber(v, p, range: 0...65535, what: "a number of records")
            case "absent":
                set.absent = walker.bool(v, p) ?? false
                if !set.absent { walker.error(v, p, "`absent: false` says nothing; leave it out") }
            case "ttl": set.ttl = readNumber(v, p, range: 0...Int64(UInt32.max), what: "a TTL in seconds")
            default: continue
            }
            any = true
        }
        if !any && pairs.allSatisfy({ SpecKeys.recordSet.contains($0.0) }) {
            walker.error(node, path, "no expectation", expected: "one of equals, contains, excludes, count, absent")
        }
        if set.absent && (set.equals != nil || set.contains != nil || set.count != nil) {
            walker.error(node, path, "`absent: true` cannot be combined with equals, contains or count")
        }
        return set
    }

    /// Presentation-format values of one type: `"10 mx1"` parses as an MX relative to the domain.
    mutating func readValues(_ node: YNode, _ path: String, type: RecordType, origin: DomainName) -> [RData]? {
        guard let list = walker.sequence(node, path, what: "a list of \(type) values") else { return nil }
        var out: [RData] = []
        for (i, item) in list.enumerated() {
            let p = "\(path)[\(i)]"
            guard let text = walker.string(item, p, what: "a \(type) value in presentation format") else { continue }
            // TXT: the YAML string is the text itself ("v=spf1 mx -all" is one record, not three words);
            // a value that starts with a double quote is zone-file form, for several strings.
            if type == .txt && !text.hasPrefix("\"") {
                let bytes = Array(text.utf8)
                let chunks = stride(from: 0, to: max(bytes.count, 1), by: 255).map {
                    Array(bytes[$0..<min(bytes.count, $0 + 255)])
                }
                out.append(.txt(TXT(strings: chunks)))
                continue
            }
            do {
                out.append(try RData(type: type, presentation: text, origin: origin))
            } catch {
                var reason = "\(error)"
                if case .presentation(_, _, let r) = error { reason = r }
                walker.error(
                    item, p, "not a valid \(type) value (\(reason))", expected: Self.form(of: type),
                    found: YAMLWalker.describe(item))
            }
        }
        return out
    }

    static func form(of type: RecordType) -> String {
        switch type {
        case .mx: return "\"PREFERENCE EXCHANGE\", e.g. \"10 mx1\""
        case .ns, .cname, .ptr: return "a name, e.g. ns1 or ns1.example.net."
        case .a: return "an IPv4 address"
        case .aaaa: return "an IPv6 address"
        case .txt: return "a string"
        case .tlsa: return "\"USAGE SELECTOR MATCHING-TYPE HEX\", e.g. \"3 1 1 0C72...\""
        case .soa: return "\"MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM\""
        case .srv: return "\"PRIORITY WEIGHT PORT TARGET\""
        case .caa: return "FLAGS TAG \"VALUE\""
        default: return "\(type) presentation format, or \\# LENGTH HEX"
        }
    }

    mutating func readRecord(_ node: YNode, _ path: String, origin: DomainName) -> RecordExpectation? {
        guard
            let pairs = walker.mapping(
                node, path, known: SpecKeys.record, what: "a mapping with name, type and an expectation")
        else {
            return nil
        }
        var name: DomainName? = nil
        var written = ""
        var type: RecordType? = nil
        var rest: [(String, YNode, YNode)] = []
        for (key, k, v) in pairs {
            let p = join(path, key)
            switch key {
            case "name":
                guard let s = walker.string(v, p, what: "a name relative to the domain, @ for the apex") else {
                    continue
                }
                written = s
                name = domainName(s, v, p, origin: origin)
            case "type":
                guard let s = walker.string(v, p, what: "a record type") else { continue }
                if let t = RecordType(s), t != .opt, t != .any, t != .axfr, t != .ixfr {
                    type = t
                } else {
                    walker.error(
                        v, p, "unknown record type", expected: "A, AAAA, MX, TXT, TLSA, ... or TYPEnnn",
                        found: YAMLWalker.describe(v),
                        suggestion: nearest(s.uppercased(), in: RecordType.knownNames))
                }
            default:
                rest.append((key, k, v))
            }
        }
        if !pairs.contains(where: { $0.0 == "name" }) {
            walker.error(
                node, join(path, "name"), "missing key `name`",
                expected: "a name relative to the domain, @ for the apex")
        }
        if !pairs.contains(where: { $0.0 == "type" }) {
            walker.error(node, join(path, "type"), "missing key `type`", expected: "a record type")
        }
        guard let name, let type else { return nil }
        guard let set = readRecordSetPairs(rest, node, path, type: type, origin: origin) else { return nil }
        return RecordExpectation(
            name: name, writtenName: written, type: type, set: set, location: walker.location(node))
    }

    // MARK: - SMTP

    mutating func readDomainSMTP(_ node: YNode, _ path: String, domain: DomainName) -> SMTPSpec? {
        guard let pairs = walker.mapping(node, path, known: SpecKeys.domainSMTP, what: "a mapping") else { return nil }
        let settings = readSMTPSettings(pairs.filter { SpecKeys.smtpSettings.contains($0.0) }, path)
        var spec = SMTPSpec(settings: settings, hosts: .mx, expect: SMTPExpect(), location: walker.location(node))
        for (key, _, v) in pairs {
            let p = join(path, key)
            switch key {
            case "hosts": spec.hosts = readHosts(v, p, domain: domain) ?? .mx
            case "expect": spec.expect = readExpect(v, p, domain: domain)
            default: break
            }
        }
        return spec
    }

    mutating func readHosts(_ node: YNode, _ path: String, domain: DomainName) -> SMTPHosts? {
        if case .scalar = node {
            guard let s = walker.string(node, path, what: "mx, or a list of hosts") else { return nil }
            if s == "mx" { return .mx }
            walker.error(
                node, path, "unknown host selection",
                expected: "mx, or a list of \"name\", \"name:port\", \"ip\", \"[ipv6]:port\"",
                found: YAMLWalker.describe(node))
            return nil
        }
        guard let list = walker.sequence(node, path, what: "mx, or a list of hosts") else { return nil }
        var out: [SMTPHostSpec] = []
        for (i, item) in list.enumerated() {
            let p = "\(path)[\(i)]"
            guard let s = walker.string(item, p, what: "a host") else { continue }
            if let (host, port) = Self.parseAddress(s) {
                out.append(SMTPHostSpec(host: .address(host), port: port, location: walker.location(item)))
                continue
            }
            if s.hasPrefix("[") || s.filter({ $0 == ":" }).count > 1 {
                walker.error(
                    item, p, "not an IPv6 address with an optional port", expected: "[ipv6]:port",
                    found: YAMLWalker.describe(item))
                continue
            }
            var nameText = s
            var port: Int? = nil
            if let colon = s.lastIndex(of: ":") {
                guard let n = Int(s[s.index(after: colon)...]), (1...65535).contains(n) else {
                    walker.error(
                        item, p, "bad port", expected: "name:port with a port 1 to 65535",
                        found: YAMLWalker.describe(item))
                    continue
                }
                port = n
                nameText = String(s[..<colon])
            }
            guard let name = domainName(nameText, item, p, origin: domain) else { continue }
            out.append(SMTPHostSpec(host: .name(name), port: port, location: walker.location(item)))
        }
        if out.isEmpty && list.isEmpty { walker.error(node, path, "empty list", expected: "at least one host") }
        return .list(out)
    }

    mutating func readExpect(_ node: YNode, _ path: String, domain: DomainName) -> SMTPExpect {
        var e = SMTPExpect()
        guard let pairs = walker.mapping(node, path, known: SpecKeys.expect, what: "a mapping of reply expectations")
        else {
            return e
        }
        for (key, k, v) in pairs {
            let p = join(path, key)
            let loc = walker.location(k)
            switch key {
            case "banner": e.banner = readReply(v, p).map { Located($0, loc) }
            case "ehlo": e.ehlo = readReply(v, p).map { Located($0, loc) }
            case "starttls": e.starttls = readReply(v, p).map { Located($0, loc) }
            case "mail_from": e.mailFrom = readReply(v, p).map { Located($0, loc) }
            case "quit": e.quit = readReply(v, p).map { Located($0, loc) }
            case "extensions":
                guard let list = walker.sequence(v, p, what: "a list of EHLO keywords") else { continue }
                var words: [String] = []
                for (i, w) in list.enumerated() {
                    guard let s = walker.string(w, "\(p)[\(i)]", what: "an EHLO keyword") else { continue }
                    if s.isEmpty || !s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                        walker.error(
                            w, "\(p)[\(i)]", "not an EHLO keyword", expected: "letters, digits and -, e.g. STARTTLS",
                            found: YAMLWalker.describe(w))
                    } else {
                        words.append(s.uppercased())
                    }
                }
                e.extensions = Located(words, loc)
            case "rcpt":
                guard let list = walker.freeMapping(v, p, what: "a mapping of recipient: reply code") else { continue }
                for (who, wk, wv) in list {
                    let rp = "\(p).\(who)"
                    let address = who.contains("@") ? who : "\(who)@\(domain.description.dropLast())"
                    guard checkAddress(address, wk, rp) else { continue }
                    guard let reply = readReply(wv, rp) else { continue }
                    e.rcpt.append(
                        RecipientExpectation(
                            written: who, address: address, reply: reply, location: walker.location(wk)))
                }
            default: break
            }
        }
        return e
    }

    /// `250`, `"2xx"`, `[250, 251]`, `{code, enhanced, text}`.
    mutating func readReply(_ node: YNode, _ path: String, allowDetailed: Bool = true) -> ReplyExpectation? {
        let what = "a reply code: 250, \"2xx\", [250, 251] or {code: 550, enhanced: \"5.1.1\", text: \"...\"}"
        switch node {
        case .sequence:
            guard let list = walker.sequence(node, path, what: what) else { return nil }
            var codes: [Int] = []
            for (i, item) in list.enumerated() {
                if let c = replyCode(item, "\(path)[\(i)]") { codes.append(c) }
            }
            if list.isEmpty { walker.error(node, path, "empty list", expected: what) }
            return codes.count == list.count && !codes.isEmpty ? .anyOf(codes) : nil
        case .mapping:
            guard allowDetailed, let pairs = walker.mapping(node, path, known: SpecKeys.reply, what: what) else {
                if !allowDetailed {
                    walker.error(node, path, "wrong type", expected: "250, \"2xx\" or [250, 251]", found: "a mapping")
                }
                return nil
            }
            var code: ReplyExpectation? = nil
            var enhanced: String? = nil
            var text: String? = nil
            for (key, _, v) in pairs {
                let p = join(path, key)
                switch key {
                case "code": code = readReply(v, p, allowDetailed: false)
                case "enhanced":
                    guard let s = walker.string(v, p, what: "an enhanced status code such as 5.1.1") else { continue }
                    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
                    if parts.count == 3, ["2", "4", "5"].contains(parts[0]),
                        parts[1...].allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) })
                    {
                        enhanced = s
                    } else {
                        walker.error(
                            v, p, "not an enhanced status code (RFC 3463)",
                            expected: "CLASS.SUBJECT.DETAIL such as 5.1.1", found: YAMLWalker.describe(v))
                    }
                case "text": text = walker.string(v, p, what: "a substring of the reply text")
                default: break
                }
            }
            if pairs.isEmpty { walker.error(node, path, "empty mapping", expected: "code, enhanced or text") }
            return .detailed(code: code, enhanced: enhanced, text: text)
        default:
            guard let s = walker.string(node, path, what: what) else { return nil }
            if s.count == 3, s.hasSuffix("xx"), let k = Int(s.prefix(1)) {
                guard (2...5).contains(k) else {
                    walker.error(
                        node, path, "reply classes are 2xx to 5xx", expected: what, found: YAMLWalker.describe(node))
                    return nil
                }
                return .replyClass(k)
            }
            return replyCode(node, path).map { .exact($0) }
        }
    }

    mutating func replyCode(_ node: YNode, _ path: String) -> Int? {
        guard let s = walker.string(node, path, what: "a reply code 200 to 599") else { return nil }
        guard let c = Int(s), (200...599).contains(c) else {
            walker.error(
                node, path, "reply codes are 2xx to 5xx", expected: "a reply code 200 to 599",
                found: YAMLWalker.describe(node))
            return nil
        }
        return c
    }

    // MARK: - Routes

    mutating func readRoute(_ node: YNode, _ path: String) -> RouteSpec? {
        guard let pairs = walker.mapping(node, path, known: SpecKeys.route, what: "a mapping {from, to}") else {
            return nil
        }
        var from: String? = nil
        var to: String? = nil
        var tags: [String] = []
        var local: [Located<String>]? = nil
        var remote: [Located<String>]? = nil
        for (key, _, v) in pairs {
            let p = join(path, key)
            switch key {
            case "local_dns", "remote_dns":
                guard let list = walker.sequence(v, p, what: "a list of server names") else { continue }
                let names = list.enumerated().compactMap { i, n in
                    walker.string(n, "\(p)[\(i)]", what: "a server name").map { Located($0, walker.location(n)) }
                }
                if key == "local_dns" { local = names } else { remote = names }
            case "from":
                if let s = walker.string(v, p, what: "the sender's address"), checkAddress(s, v, p) { from = s }
            case "to":
                if let s = walker.string(v, p, what: "the recipient's address"), checkAddress(s, v, p) { to = s }
            case "tags":
                if let list = walker.sequence(v, p, what: "a list of tags") {
                    for (i, t) in list.enumerated() { if let s = walker.string(t, "\(p)[\(i)]") { tags.append(s) } }
                }
            default: break
            }
        }
        for (key, value) in [("from", from), ("to", to)] where value == nil && !pairs.contains(where: { $0.0 == key }) {
            walker.error(node, join(path, key), "missing key `\(key)`", expected: "an email address")
        }
        guard let from, let to else { return nil }
        return RouteSpec(
            from: from, to: to, location: walker.location(node), tags: tags, localServers: local, remoteServers: remote)
    }
}
