import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// `routes:`, at the top of a spec: SMTPDiag's own probe of a sender and a recipient. Each route compiles to the
/// recipient domain's SOA over TCP and UDP at each server and their agreement, the sender domain's MX and A
/// (advisory: internal DNS unaware of external DNS is a valid topology), the recipient domain's MX and A, then
/// at every MX address EHLO, MAIL FROM the sender, RCPT TO the recipient and QUIT, each expected 2xx
/// (`route[a@x.test->b@y.test]/remote.soa@internal[127.0.0.10]/tcp`).
public enum RoutesFamily: CheckFamily {
    public static let key = "routes"
    public static let scope = FamilyScope.file

    public struct Expectation: FamilyExpectation {
        public let routes: [RouteSpec]
        public init(routes: [RouteSpec]) { self.routes = routes }
    }

    public static func schema() -> SchemaFragment { SchemaFragment(SpecSchema.list(of: "route")) }

    public static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        reader.list(value, what: "a list of {from, to}") { $0.route($1) }.map(Expectation.init)
    }

    public static func compileFile(_ entry: FamilyEntry, _ file: inout FilePlan) {
        guard let e = entry.value as? Expectation else { return }
        for (i, route) in e.routes.enumerated() { compile(route, index: i, &file) }
    }

    public static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {}

    static func compile(_ route: RouteSpec, index: Int, _ plan: inout FilePlan) {
        let path = "routes[\(index)]"
        guard let fromDomain = Self.domain(of: route.from), let toDomain = Self.domain(of: route.to) else {
            plan.error(route.location, path: path, "the route's addresses have no domain")
            return
        }
        let remoteDNS = plan.dnsSettings(servers: route.remoteServers)
        let localDNS = plan.dnsSettings(servers: route.localServers)
        guard let remote = plan.servers(remoteDNS, zone: toDomain, path: "\(path).remote_dns"),
            let local = plan.servers(localDNS, zone: fromDomain, path: "\(path).local_dns")
        else { return }
        let subject = CheckID.Subject.route("\(route.from)->\(route.to)")
        let timeout = remoteDNS.timeout ?? PlanCompiler.Builtin.timeout
        let retries = remoteDNS.retries ?? PlanCompiler.Builtin.retries
        let discoveryID = CheckID(subject, "ns.discovery", server: PlanCompiler.endpoint(remote.discoveryVia))
        if remote.targets.contains(where: { if case .authoritative = $0 { return true } else { return false } }) {
            plan.add(
                Check(
                    id: discoveryID, kind: .discovery(zone: toDomain, via: remote.discoveryVia),
                    location: route.location, domain: toDomain, tags: route.tags, dependencies: [],
                    timeout: timeout,
                    retries: retries))
        }
        func add(
            _ side: CheckID.Side, _ expectation: String, _ t: SpecTransport, _ kind: CheckKind, _ zone: DomainName,
            _ server: ServerTarget, advisory: Bool = false
        ) {
            var deps: [CheckID] = []
            if case .authoritative = server { deps = [discoveryID] }
            let id = CheckID(subject, side: side, expectation, server: server.endpoint, transport: t)
            plan.add(
                Check(
                    id: id, kind: kind, location: route.location, domain: zone, tags: route.tags,
                    dependencies: deps, timeout: timeout, retries: retries, advisory: advisory))
        }
        let atLeastOne = RecordSetExpectation(count: .range(min: 1, max: nil), location: route.location)
        // SMTPDiag's order: the remote SOA over TCP and UDP at each server and whether the serials match,
        // the local MX and A (advisory), the remote MX and A, then every MX address.
        for server in remote.targets {
            for t in [SpecTransport.tcp, .udp] {
                add(
                    .remote, "soa", t, .soaField(zone: toDomain, field: .present, server: server, transport: t),
                    toDomain, server)
            }
        }
        plan.add(
            Check(
                id: CheckID(subject, side: .remote, "soa.consistent"),
                kind: .soaConsistency(
                    zone: toDomain, servers: remote.targets, transports: [.tcp, .udp], maxDrift: 0),
                location: route.location, domain: toDomain, tags: route.tags,
                dependencies: remote.targets.contains(where: {
                    if case .authoritative = $0 { return true } else { return false }
                }) ? [discoveryID] : [],
                timeout: timeout, retries: retries))
        for (side, zone, list) in [(CheckID.Side.local, fromDomain, local), (.remote, toDomain, remote)] {
            for server in list.targets {
                for t in [SpecTransport.tcp, .udp] {
                    add(
                        side, "mx", t,
                        .records(name: zone, type: .mx, expectation: atLeastOne, server: server, transport: t),
                        zone, server, advisory: side == .local)
                    add(
                        side, "mx_resolves", t, .mxResolves(zone: zone, server: server, transport: t), zone, server,
                        advisory: side == .local)
                }
            }
        }
        var smtp = plan.file.defaultSMTP
        smtp.mailFrom = route.from
        let rcpt = RecipientExpectation(
            written: route.to, address: route.to, reply: .replyClass(2), location: route.location)
        var expect = SMTPExpect()
        expect.mailFrom = Located(.replyClass(2), route.location)
        expect.rcpt = [rcpt]
        let sessions = SMTPPlanning.sessionChecks(
            subject: subject, zone: toDomain, target: .mx(domain: toDomain), settings: smtp, expect: expect,
            location: route.location, resolver: remote.targets.first ?? .system, transport: .udp, tags: route.tags,
            timeout: timeout, retries: retries, discoveryID: discoveryID)
        plan.add(sessions)
    }

    static func domain(of address: String) -> DomainName? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        return try? DomainName(parsing: String(address[address.index(after: at)...]) + ".")
    }
}
