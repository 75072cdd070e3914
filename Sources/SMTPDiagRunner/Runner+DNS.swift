import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagSpec

extension Runner {
    /// The NS set of a zone and each NS's addresses, through one server (UDP, TCP when truncated): the glue of
    /// the NS answer for names inside the zone when it has some, otherwise each name's A and AAAA.
    // Not inlined: an async function's frame is sized for every path through it, and thousands of
    // checks are in flight at once.
    @inline(never)
    func discover(_ check: Check, zone: DomainName, via: ServerTargetBase) async -> CheckResult {
        var r = Self.result(check, .error, "")
        guard case .success(let list) = await servers(base(via)), let (_, server) = list.first else {
            r.message = "no server to ask"
            return r
        }
        let nsQuestion = Question(name: zone, type: .ns)
        let ns = await askWhole(nsQuestion, server, check)
        r.evidence.note(ns, nsQuestion)
        guard case .ok(let response) = Self.usable(ns) else {
            if case .unusable(let why) = Self.usable(ns) { r.message = why }
            return r
        }
        let names = Self.records(response, name: zone, type: .ns).compactMap { rr -> DomainName? in
            if case .ns(let v) = rr.rdata { return v.nsdname }
            return nil
        }
        guard !names.isEmpty else {
            r.status = .fail
            r.message = "\(server) lists no NS for \(zone) (\(response.rcode))"
            return r
        }
        let unique = Set(names).sorted()
        guard unique.count <= Self.maxNamesPerAnswer else {
            r.message = Self.fanOutProblem(unique.count, "NS names for \(zone)")
            return r
        }
        // Zone files answer for every NS they list: each NS is the zone files (no address to learn or ask).
        if server == .zoneFiles {
            state.setDiscovered(
                zone: zone, via: via, unique.map { AuthoritativeServer(name: $0, addresses: [.zoneFiles]) })
            r.status = .pass
            r.message = unique.map { "\($0) [zones]" }.joined(separator: ", ")
            r.actual = r.message
            return r
        }
        // Glue: addresses the zone's own server gives for the NS names inside the zone (RFC 9471). Nothing for a
        // name outside it is taken from an additional section.
        let wanted = Set(unique)
        var glue: [DomainName: [DNSServerAddress]] = [:]
        for rr in response.message.additionals where wanted.contains(rr.name) && rr.name.isSubdomain(of: zone) {
            if let a = Self.address(rr.rdata) { glue[rr.name, default: []].append(DNSServerAddress(host: a)) }
        }
        var found: [AuthoritativeServer] = []
        /// Lookups that gave no usable answer (an NS without any address is told apart below, from `found`).
        var problems: [String] = []
        for name in unique {
            if let addresses = glue[name] {
                found.append(AuthoritativeServer(name: name, addresses: addresses.sorted()))
                continue
            }
            let (addresses, problem) = await self.addresses(
                of: name, at: server, .udp, check, evidence: &r.evidence, whole: true)
            if let problem { problems.append("\(name) \(problem)") }
            found.append(
                AuthoritativeServer(name: name, addresses: addresses.map { DNSServerAddress(host: $0) }.sorted()))
        }
        let addressCount = found.reduce(0) { $0 + $1.addresses.count }
        guard addressCount <= Self.maxAddressesPerTarget else {
            r.message = Self.fanOutProblem(addressCount, "NS addresses for \(zone)")
            return r
        }
        state.setDiscovered(zone: zone, via: via, found)
        let summary = found.map { "\($0.name) [\($0.addresses.map(\.host).joined(separator: ", "))]" }.joined(
            separator: ", ")
        r.actual = summary
        let withoutAddress = found.filter(\.addresses.isEmpty).map { "\($0.name)" }
        if !problems.isEmpty {
            // An NS whose addresses could not be learned would silently drop out of every check at the
            // authoritative servers.
            r.status = .error
            r.message =
                "could not learn every NS address: "
                + (problems + withoutAddress.map { "\($0) has no address" }).joined(separator: "; ")
        } else if !withoutAddress.isEmpty {
            r.status = .fail
            r.expected = "every NS of \(zone) has an A or AAAA"
            r.missing = withoutAddress
            r.message = "no address for NS " + withoutAddress.joined(separator: ", ")
        } else {
            r.status = .pass
            r.message = summary
        }
        return r
    }

    /// The SOA serial of every server and transport, compared (RFC 1982).
    @inline(never)
    func consistency(
        _ check: Check, zone: DomainName, servers targets: [ServerTarget], transports: [SpecTransport], maxDrift: UInt32
    ) async -> CheckResult {
        var r = Self.result(check, .error, "")
        var serials: [(String, UInt32)] = []
        var problems: [String] = []
        let q = Question(name: zone, type: .soa)
        for target in targets {
            switch await servers(target) {
            case .failure(let why): problems.append("\(target): \(why)")
            case .success(let list):
                for (label, address) in list {
                    for t in transports {
                        let answer = await ask(q, address, t, check)
                        r.evidence.note(answer, q)
                        switch Self.usable(answer) {
                        case .unusable(let why): problems.append("\(label)/\(t.rawValue): \(why)")
                        case .ok(let m):
                            if case .soa(let soa)? = Self.records(m, name: zone, type: .soa).first?.rdata {
                                serials.append(("\(label)/\(t.rawValue)", soa.serial))
                            } else {
                                problems.append("\(label)/\(t.rawValue): no SOA (\(m.rcode))")
                            }
                        }
                    }
                }
            }
        }
        let v = Matchers.serials(serials, maxDrift: maxDrift)
        r.expected = v.expected
        r.actual = v.actual
        if !v.pass && serials.count > 1 {
            // Servers that answered already disagree: that is a failure whatever the others would say.
            r.status = .fail
            r.message =
                v.message + (problems.isEmpty ? "" : "; also could not ask: " + problems.joined(separator: "; "))
        } else if !problems.isEmpty {
            r.status = .error
            r.message = "could not ask every server: " + problems.joined(separator: "; ")
        } else {
            r.status = v.pass ? .pass : .fail
            r.message = v.message
        }
        return r
    }

    /// How many names (NS or MX) one answer may fan out into, and how many addresses they may have in all:
    /// a hostile zone must not turn one check into thousands of queries or sessions.
    static let maxNamesPerAnswer = 32
    static let maxAddressesPerTarget = 64

    static func fanOutProblem(_ count: Int, _ what: String) -> String {
        "\(count) \(what): more than this tool follows from one answer (\(maxNamesPerAnswer) names, "
            + "\(maxAddressesPerTarget) addresses); not checked"
    }

    /// The exchanges of a zone's MX set (sorted by preference), or why there are none.
    func exchanges(_ response: DNSResponse, zone: DomainName) -> [MX] {
        Self.records(response, name: zone, type: .mx).compactMap { rr -> MX? in
            if case .mx(let m) = rr.rdata { return m }
            return nil
        }.sorted { ($0.preference, $0.exchange) < ($1.preference, $1.exchange) }
    }

    /// A and AAAA of a name at one server, and why the set is incomplete when either answer was unusable.
    @inline(never)
    func addresses(
        of name: DomainName, at server: DNSServerAddress, _ transport: SpecTransport, _ check: Check,
        evidence: inout Evidence, whole: Bool = false
    )
        async -> (addresses: [String], problem: String?)
    {
        var out: [String] = []
        var problems: [String] = []
        for type in [RecordType.a, .aaaa] {
            let q = Question(name: name, type: type)
            let answer =
                whole && transport == .udp ? await askWhole(q, server, check) : await ask(q, server, transport, check)
            evidence.note(answer, q)
            switch Self.usable(answer) {
            case .unusable(let why): problems.append("\(type): \(why)")
            case .ok(let m): out += Self.records(m, name: name, type: type).compactMap { Self.address($0.rdata) }
            }
        }
        // Either answer unusable means the address set is not known: an error for the caller, never "no
        // address" (a SERVFAIL or a timeout on A beside NODATA on AAAA is not an MX without address).
        return (out, problems.isEmpty ? nil : problems.joined(separator: "; "))
    }

    /// Every MX exchange has an A or AAAA (at the same server, over the same transport).
    @inline(never)
    func mxResolves(_ check: Check, zone: DomainName, server target: ServerTarget, transport: SpecTransport) async
        -> [CheckResult]
    {
        switch await servers(target) {
        case .failure(let why): return [Self.result(check, .error, why.text)]
        case .success(let list):
            var out: [CheckResult] = []
            for (label, server) in list {
                var r = Self.result(check, .error, "", id: Self.expandedID(check, server: target, label: label))
                let q = Question(name: zone, type: .mx)
                let answer = await ask(q, server, transport, check)
                r.evidence.note(answer, q)
                guard case .ok(let m) = Self.usable(answer) else {
                    if case .unusable(let why) = Self.usable(answer) { r.message = why }
                    out.append(r)
                    continue
                }
                let mx = exchanges(m, zone: zone)
                if mx.count == 1 && mx[0].isNullMX {
                    r.status = .pass
                    r.message = "null MX (RFC 7505): no exchange to resolve"
                    out.append(r)
                    continue
                }
                guard mx.count <= Self.maxNamesPerAnswer else {
                    r.message = Self.fanOutProblem(mx.count, "MX exchanges for \(zone)")
                    out.append(r)
                    continue
                }
                guard !mx.isEmpty else {
                    r.status = .fail
                    r.message = "\(zone) has no MX record"
                    r.expected = "every exchange has an A or AAAA"
                    out.append(r)
                    continue
                }
                var missing: [String] = []
                var problems: [String] = []
                var found: [String] = []
                for x in mx {
                    let (addresses, problem) = await addresses(
                        of: x.exchange, at: server, transport, check, evidence: &r.evidence)
                    if let problem {
                        problems.append("\(x.exchange): \(problem)")
                    } else if addresses.isEmpty {
                        missing.append(x.exchange.description)
                    } else {
                        found.append("\(x.exchange) [\(addresses.joined(separator: ", "))]")
                    }
                }
                r.expected = "every exchange has an A or AAAA"
                r.actual = found.joined(separator: ", ")
                r.missing = missing
                if !missing.isEmpty {
                    r.status = .fail
                    r.message = "no address for " + missing.joined(separator: ", ")
                } else if !problems.isEmpty {
                    r.message = "could not resolve: " + problems.joined(separator: "; ")
                } else {
                    r.status = .pass
                    r.message = found.joined(separator: ", ")
                }
                out.append(r)
            }
            return out
        }
    }
}
