import Foundation
import SMTPDiagDNSWire
import SMTPDiagSpec

/// Turns loaded spec files into a `CheckPlan`: pure, no I/O. Merges defaults, resolves server
/// names, expands every DNS expectation per server and transport, and compiles `routes` to the
/// SMTPDiag sequence. Everything that can be known without the network is checked here.
public struct PlanCompiler: Sendable {
    /// What applies when neither `defaults` nor the domain says, stated once (docs/spec-format.md lists it).
    public enum Builtin {
        public static let dnsServer = "system"
        public static let transports: [SpecTransport] = [.udp, .tcp]
        public static let timeout = Duration.seconds(2)
        public static let retries = 1
        /// The SMTP settings; an empty HELO name is this machine's host name, an empty MAIL FROM the null sender.
        public static let smtp = SMTPSessionSettings(
            port: 25, helo: "", mailFrom: "", connectTimeout: .seconds(10), bannerTimeout: .seconds(30),
            commandTimeout: .seconds(30), starttls: .optional, tlsVerify: true, tlsCAFile: nil, tlsMinVersion: "1.2")
    }

    public static let builtinDNS: DNSSettings = {
        var d = DNSSettings()
        d.servers = [Located(Builtin.dnsServer, SourceLocation(file: "<builtin>", line: 0, column: 0))]
        d.transports = Builtin.transports
        d.timeout = Builtin.timeout
        d.retries = Builtin.retries
        return d
    }()

    /// The families of checks (every key under a domain, and `routes`), planned in this order.
    public var families: [any PlanFamily.Type]

    public init(families: [any PlanFamily.Type]) { self.families = families }

    public struct Result: Sendable {
        public var plan: CheckPlan
        public var diagnostics: [SpecDiagnostic]
    }

    public func compile(_ files: [SpecFile]) -> Result {
        var state = State(families: families)
        // About 22 checks a domain in typical specs: reserve once instead of growing.
        let estimate = files.reduce(0) { (n: Int, f: SpecFile) in n + f.domains.count * 24 + f.families.count * 40 }
        state.checks.reserveCapacity(estimate)
        state.ids.reserveCapacity(estimate)
        for file in files { state.compile(file) }
        return Result(plan: CheckPlan(checks: state.checks), diagnostics: state.diagnostics.sorted())
    }

    struct State {
        let families: [any PlanFamily.Type]
        var checks: [Check] = []
        var diagnostics: [SpecDiagnostic] = []
        /// The checks so far by their ids' hash (a set of ids would hold a second copy of every id), and the
        /// ids whose hash another id already had.
        var ids: [Int: Int32] = [:]
        var collided: [CheckID: Int32] = [:]
        var domains: [DomainName: SourceLocation] = [:]

        /// The index of the check with this id, if there is one.
        func index(of id: CheckID) -> Int? {
            guard let i = ids[id.hashValue] else { return nil }
            if checks[Int(i)].id == id { return Int(i) }
            return collided[id].map(Int.init)
        }

        mutating func add(_ check: Check) {
            if let i = index(of: check.id) {
                // The same check twice means the same expectation written twice; say where both are.
                let previous = checks[i].location
                if previous != check.location {
                    diagnostics.append(
                        SpecDiagnostic(
                            check.location, path: check.id.rawValue,
                            "this check is also defined at \(previous)"))
                }
                return
            }
            let h = check.id.hashValue
            if ids[h] == nil { ids[h] = Int32(checks.count) } else { collided[check.id] = Int32(checks.count) }
            checks.append(check)
        }

        // MARK: - Files

        mutating func compile(_ file: SpecFile) {
            var fresh: [DomainSpec] = []
            var repeated: [DomainSpec] = []
            fresh.reserveCapacity(file.domains.count)
            for domain in file.domains {
                if domains[domain.name] == nil {
                    domains[domain.name] = domain.location
                    fresh.append(domain)
                } else {
                    repeated.append(domain)
                }
            }
            compileDomains(fresh, file: file)
            // A domain that an earlier file also checks: allowed (one file per team, say), but the same
            // check twice is not. Rare, so compared against the earlier checks one domain at a time.
            for domain in repeated {
                var extra = State(families: families)
                extra.compile(domain, file: file)
                let earlier = Dictionary(
                    checks.filter { $0.domain == domain.name }.map { ($0.id, $0.location) },
                    uniquingKeysWith: { a, _ in a })
                for c in extra.checks {
                    if let previous = earlier[c.id] {
                        diagnostics.append(
                            SpecDiagnostic(c.location, path: c.id.rawValue, "this check is also defined at \(previous)")
                        )
                    } else {
                        checks.append(c)
                    }
                }
                diagnostics += extra.diagnostics
            }
            // The families of file scope (`routes`), after the domains, in the registry's order.
            for family in families where family.scope == .file {
                for entry in file.families where entry.key == family.key {
                    var plan = FilePlan(file: file)
                    family.compileFile(entry, &plan)
                    for c in plan.checks { add(c) }
                    diagnostics += plan.diagnostics
                }
            }
        }

        /// Compiles domains in parallel chunks, joined in order as soon as each chunk and those before it are
        /// done: only a few chunks wait at any time, so the plan is not held twice (once in chunks, once
        /// joined) at the end. Every id of a domain starts with that domain's name, and names are unique by
        /// now, so chunks cannot produce the same id.
        mutating func compileDomains(_ list: [DomainSpec], file: SpecFile) {
            if list.count < parallelChunksFrom {
                for domain in list { compile(domain, file: file) }
                return
            }
            var joined = checks
            var found = diagnostics
            checks = []
            let families = self.families
            inParallelChunks(count: list.count, size: 128) { range in
                var state = State(families: families)
                state.checks.reserveCapacity(range.count * 24)
                state.ids.reserveCapacity(range.count * 24)
                for domain in list[range] { state.compile(domain, file: file) }
                return state
            } join: { done in
                joined += done.checks
                found += done.diagnostics
            }
            checks = joined
            diagnostics = found
        }

        mutating func compile(_ domain: DomainSpec, file: SpecFile) {
            let zone = domain.name
            // Ids are canonical: DNS names compare without case (RFC 4343), so ids use lower case.
            let prefix = String(zone.description.dropLast()).lowercased()
            let path = "domains.\(prefix)"
            let dns = PlanCompiler.dnsSettings(domain.dns, file)
            guard
                let servers = PlanCompiler.servers(
                    dns, file: file, zone: zone, path: "\(path).dns", diagnostics: &diagnostics)
            else { return }
            let transports = dns.transports ?? Builtin.transports
            let timeout = dns.timeout ?? Builtin.timeout
            let retries = dns.retries ?? Builtin.retries

            // Discovery, when anything needs the authoritative servers.
            let discoveryID = CheckID(
                .domain(prefix), "ns.discovery", server: PlanCompiler.endpoint(servers.discoveryVia))
            let needsDiscovery =
                servers.targets.contains { if case .authoritative = $0 { return true } else { return false } }
                || domain.families.contains { e in families.contains { $0.key == e.key && $0.needsDiscovery(e) } }
            if needsDiscovery {
                add(
                    Check(
                        id: discoveryID, kind: .discovery(zone: zone, via: servers.discoveryVia),
                        location: domain.location, domain: zone, tags: domain.tags, dependencies: [],
                        timeout: timeout, retries: retries))
            }

            var familyPlan = DomainPlan(
                zone: zone, prefix: prefix, servers: servers.targets, transports: transports,
                discoveryVia: servers.discoveryVia, discoveryID: discoveryID, entries: domain.families,
                defaultSMTP: file.defaultSMTP, tags: domain.tags, timeout: timeout, retries: retries)
            // Each family of domain scope in the registry's order (ids and their order are a contract).
            for family in families where family.scope == .domain {
                if let entry = domain.families.first(where: { $0.key == family.key }) {
                    family.compile(entry, &familyPlan)
                } else {
                    family.compileDefault(&familyPlan)
                }
            }
            for c in familyPlan.checks { add(c) }
        }
    }
}
