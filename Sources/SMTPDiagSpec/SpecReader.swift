import Foundation
import SMTPDiagDNSWire

/// The key sets of the contract, in one place: the loader checks against them and the schema
/// printer lists them.
public enum SpecKeys {
    /// The top-level keys the spec module reads itself; file-scope families add theirs (`routes`).
    public static let top = ["version", "dns_servers", "defaults", "domains"]
    public static let defaults = ["dns", "smtp"]
    public static let dns = ["servers", "transports", "timeout", "retries"]
    public static let smtpSettings = [
        "port", "helo", "mail_from", "connect_timeout", "banner_timeout", "command_timeout", "starttls", "tls_verify",
        "tls_ca_file", "tls_min_version",
    ]
    public static let domainSMTP = smtpSettings + ["hosts", "expect"]
    /// The domain keys the spec module reads itself; families add theirs (`SpecFamily`).
    public static let domain = ["tags", "dns"]
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
    /// Registered families of domain and of file scope, in registration order, and the keys a domain and a
    /// file may hold (the spec module's own first, then the families' in the registry's order).
    let families: [any SpecFamily.Type]
    let fileFamilies: [any SpecFamily.Type]
    let domainKeys: [String]
    let topKeys: [String]

    init(walker: YAMLWalker, directory: String, families: [any SpecFamily.Type] = []) {
        self.walker = walker
        self.directory = directory
        self.families = families.filter { $0.scope == .domain }
        self.fileFamilies = families.filter { $0.scope == .file }
        self.domainKeys = SpecKeys.domain + self.families.map { $0.key }
        self.topKeys = SpecKeys.top + fileFamilies.map { $0.key }
    }

    mutating func read(_ root: YNode, path file: String) -> SpecFile? {
        guard let pairs = walker.mapping(root, "", known: topKeys, what: "a mapping with version and domains")
        else { return nil }
        var spec = SpecFile(
            path: file, version: 0, servers: [], defaultDNS: DNSSettings(), defaultSMTP: SMTPSettings(), domains: [])
        var sawVersion = false
        for (key, k, value) in pairs {
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
            default:
                guard let family = fileFamilies.first(where: { $0.key == key }) else { break }
                if let entry = read(family, key, k, value, key, domain: ".") { spec.families.append(entry) }
            }
        }
        if !sawVersion {
            walker.error(root, "version", "missing key `version`", expected: "version: 1")
        }
        if spec.domains.isEmpty && spec.families.isEmpty && walker.diagnostics.isEmpty {
            walker.error(root, "domains", "the spec checks nothing", expected: "at least one domain or route")
        }
        return spec
    }

    /// A family's entry: its key's value read by the family.
    mutating func read(
        _ family: any SpecFamily.Type, _ key: String, _ keyNode: YNode, _ value: YNode, _ path: String,
        domain: DomainName
    ) -> FamilyEntry? {
        var values = SpecValueReader(reader: self, domain: domain)
        let read = family.read(SpecValue(value, path), &values)
        self = values.reader
        guard let read else { return nil }
        return FamilyEntry(
            key: key, value: read, location: walker.location(value), keyLocation: walker.location(keyNode))
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
            if case .mapping = v {
                // `{zones: DIR}`: the server's zones answered from master files.
                guard let fields = walker.mapping(v, path, known: ["zones"], what: "{zones: FOLDER or FILE}") else {
                    continue
                }
                guard let (_, _, z) = fields.first(where: { $0.0 == "zones" }) else {
                    walker.error(v, path, "no zones folder", expected: "{zones: FOLDER or FILE}")
                    continue
                }
                guard let dir = walker.string(z, "\(path).zones", what: "a folder of *.zone files or one file"),
                    !dir.isEmpty
                else { continue }
                let resolved = dir.hasPrefix("/") ? dir : (directory as NSString).appendingPathComponent(dir)
                out.append(
                    ServerDefinition(
                        name: name, host: ServerDefinition.zoneFilesHost, port: 0, location: walker.location(k),
                        zones: resolved))
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
        guard let a = try? AddressText(parsing: text) else { return nil }
        return (a.host, a.port ?? defaultPort)
    }

    /// The host and the port if one was written.
    static func parseAddress(_ text: String) -> (String, Int?)? {
        guard let a = try? AddressText(parsing: text) else { return nil }
        return (a.host, a.port)
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
        if list.count < parallelChunksFrom {
            return list.compactMap { readDomain($0.0, $0.1, $0.2) }
        }
        // Each chunk has a walker of its own: a walker that goes over the budget says so itself (`visit`);
        // otherwise the sum of their visits may still be over it.
        var said = walker.visited > walker.maxVisits
        var out: [DomainSpec] = []
        out.reserveCapacity(list.count)
        let base = self
        inParallelChunks(count: list.count, size: 128) { range in
            var reader = base
            reader.walker.diagnostics = []
            reader.walker.visited = 0
            let domains = list[range].compactMap { reader.readDomain($0.0, $0.1, $0.2) }
            return (domains, reader.walker.diagnostics, reader.walker.visited)
        } join: { domains, diagnostics, visited in
            out += domains
            walker.diagnostics += diagnostics
            walker.visited += visited
            said = said || visited > walker.maxVisits
        }
        if walker.visited > walker.maxVisits, !said, let first = list.first {
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
            default:
                guard let family = families.first(where: { $0.key == key }) else { break }
                if let entry = read(family, key, k, v, p, domain: name) { d.families.append(entry) }
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
}
