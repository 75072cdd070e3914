import SMTPDiagDNSWire
import SMTPDiagSpec

/// The DNS servers a domain (or a side of a route) is checked at, as the spec names them.
public struct Servers: Sendable {
    public var targets: [ServerTarget]
    /// What `authoritative` servers are found through: the first listed server that is not itself.
    public var discoveryVia: ServerTargetBase
}

extension PlanCompiler {
    /// A domain's (or a route's) DNS settings over the file's defaults and the built-in ones.
    static func dnsSettings(_ own: DNSSettings, _ file: SpecFile) -> DNSSettings {
        own.over(file.defaultDNS).over(builtinDNS)
    }

    /// The servers of `settings.servers`, or nil after saying which name is not defined.
    static func servers(
        _ settings: DNSSettings, file: SpecFile, zone: DomainName, path: String, diagnostics: inout [SpecDiagnostic]
    ) -> Servers? {
        let defined = Dictionary(file.servers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var targets: [ServerTarget] = []
        var bases: [ServerTargetBase] = []
        var ok = true
        for (i, located) in (settings.servers ?? []).enumerated() {
            let name = located.value
            if let d = defined[name] {
                targets.append(.named(name: d.name, host: d.host, port: d.port))
                bases.append(.named(name: d.name, host: d.host, port: d.port))
            } else if name == "system" {
                targets.append(.system)
                bases.append(.system)
            } else if name == "authoritative" {
                targets.append(.authoritative(zone: zone, via: .system))
            } else {
                diagnostics.append(
                    SpecDiagnostic(
                        located.location, path: "\(path).servers[\(i)]", "server `\(name)` is not defined",
                        expected: "a name from dns_servers, `system` or `authoritative`",
                        suggestion: nearest(name, in: Array(defined.keys) + SpecKeys.predefinedServers)))
                ok = false
            }
        }
        guard ok else { return nil }
        // `authoritative` is found through the first listed server that is not itself.
        let via = bases.first ?? .system
        targets = targets.map { t in
            if case .authoritative(let z, _) = t { return .authoritative(zone: z, via: via) }
            return t
        }
        return Servers(targets: targets, discoveryVia: via)
    }

    /// How ids name the server `authoritative` servers are found through.
    public static func endpoint(_ base: ServerTargetBase) -> Endpoint {
        switch base {
        case .named(let n, let h, let p): return .dns(n, h, p)
        case .system: return Endpoint(name: "system")
        }
    }
}
