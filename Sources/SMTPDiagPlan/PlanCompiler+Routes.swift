import Foundation
import SMTPDiagDNSWire
import SMTPDiagSpec

extension PlanCompiler.State {
    mutating func compile(_ route: RouteSpec, index: Int, file: SpecFile) {
        let path = "routes[\(index)]"
        guard let fromDomain = Self.domain(of: route.from), let toDomain = Self.domain(of: route.to) else {
            diagnostics.append(SpecDiagnostic(route.location, path: path, "the route's addresses have no domain"))
            return
        }
        var remoteSettings = DNSSettings()
        remoteSettings.servers = route.remoteServers
        var localSettings = DNSSettings()
        localSettings.servers = route.localServers
        let remoteDNS = settings(remoteSettings, file)
        let localDNS = settings(localSettings, file)
        guard let remote = servers(remoteDNS, file: file, zone: toDomain, path: "\(path).remote_dns"),
            let local = servers(localDNS, file: file, zone: fromDomain, path: "\(path).local_dns")
        else { return }
        let subject = CheckID.Subject.route("\(route.from)->\(route.to)")
        let timeout = remoteDNS.timeout ?? PlanCompiler.Builtin.timeout
        let retries = remoteDNS.retries ?? PlanCompiler.Builtin.retries
        let discoveryID = CheckID(subject, "ns.discovery", server: Self.endpoint(remote.discoveryVia))
        if remote.targets.contains(where: { if case .authoritative = $0 { return true } else { return false } }) {
            self.add(
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
            self.add(
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
        self.add(
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
        var smtp = file.defaultSMTP
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
        for c in sessions { self.add(c) }
    }

    static func domain(of address: String) -> DomainName? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        return try? DomainName(parsing: String(address[address.index(after: at)...]) + ".")
    }
}
