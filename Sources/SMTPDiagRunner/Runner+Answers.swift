import SMTPDiagDNS
import SMTPDiagDNSWire

/// What a DNS answer says: usable or not (an error, a truncation, a referral), and the records it holds.
extension Runner {
    /// A DNS answer reduced to what matchers need, or why it cannot be judged.
    enum Answer {
        case ok(DNSResponse)
        case unusable(String)
    }

    static func usable(_ r: Result<DNSResponse, DNSClientError>) -> Answer {
        switch r {
        case .failure(let e): return .unusable("\(e)")
        case .success(let response):
            if response.isTruncated && response.transport == .udp {
                return .unusable("truncated over UDP (TC set): the answer did not fit; ask over TCP")
            }
            guard response.rcode == .noError || response.rcode == .nxDomain else {
                return .unusable("\(response.rcode) from \(response.server) over \(response.transport)")
            }
            if let cut = referral(response) {
                // NS at the delegation point itself: the delegation is the answer (`records` reads it from the
                // authority section). Anything else at or below the cut is the child zone's to answer.
                if let q = response.message.questions.first, q.type == .ns, q.name == cut.owner {
                    return .ok(response)
                }
                let targets = cut.servers.map(\.description).joined(separator: ", ")
                return .unusable(
                    "\(response.server) delegates \(cut.owner) to \(targets) (a referral, not an answer): "
                        + "ask that zone's servers")
            }
            return .ok(response)
        }
    }

    /// A referral (RFC 1034 §4.3.2, RFC 8499): no answer for the name the question leads to (after any CNAME in
    /// the answer), not authoritative, and NS records in the authority section for a name at or above it. The
    /// owner of those NS records is the delegation point.
    static func referral(_ response: DNSResponse) -> (owner: DomainName, servers: [DomainName])? {
        let m = response.message
        guard m.rcode == .noError, !m.header.authoritative, let q = m.questions.first else { return nil }
        var name = q.name
        var seen: Set<DomainName> = []
        while let c = m.answers.first(where: { $0.type == .cname && $0.name == name }), case .cname(let v) = c.rdata,
            seen.insert(name).inserted
        {
            name = v.target
        }
        guard !m.answers.contains(where: { $0.name == name && ($0.type == q.type || q.type == .cname) }) else {
            return nil
        }
        let delegation = m.authorities.filter { $0.type == .ns && name.isSubdomain(of: $0.name) }
        guard let owner = delegation.first?.name, !m.authorities.contains(where: { $0.type == .soa }) else {
            return nil
        }
        let servers = delegation.compactMap { rr -> DomainName? in
            if case .ns(let v) = rr.rdata, rr.name == owner { return v.nsdname }
            return nil
        }
        return (owner, servers.sorted())
    }

    /// The records of the asked type at the name, following a CNAME chain inside the answer.
    /// The address an A or AAAA record holds, as text.
    static func address(_ rdata: RData) -> String? {
        switch rdata {
        case .a(let a): return a.description
        case .aaaa(let a): return a.description
        default: return nil
        }
    }

    static func records(_ response: DNSResponse, name: DomainName, type: RecordType) -> [ResourceRecord] {
        let answers = response.message.answers
        if type == .ns, answers.isEmpty, let cut = referral(response), cut.owner == name {
            // The NS set of a delegation, as the parent serves it (RFC 1034 §4.2.1: not authoritative there).
            return response.message.authorities.filter { $0.type == .ns && $0.name == name }
        }
        if type == .cname { return answers.filter { $0.type == .cname && $0.name == name } }
        var owner = name
        // Most answers have no CNAME: no set of names seen until one is followed.
        var seen: Set<DomainName> = []
        while let c = answers.first(where: { $0.type == .cname && $0.name == owner }), case .cname(let v) = c.rdata,
            v.target != name, !seen.contains(v.target)
        {
            owner = v.target
            seen.insert(owner)
        }
        return answers.filter { $0.type == type && $0.name == owner }
    }
}
