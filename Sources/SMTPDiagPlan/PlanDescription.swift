import SMTPDiagSpec

/// One-line descriptions of what a check does, for `plan` and reports.
public enum PlanDescription {
    public static func describe(_ kind: CheckKind) -> String {
        switch kind {
        case .discovery(let zone, _):
            return "find the authoritative servers of \(zone)"
        case .records(let name, let type, let e, let server, let t):
            return "\(name) \(type) at \(server) over \(t.rawValue): \(describe(e))"
        case .soaField(let zone, let field, let server, let t):
            switch field {
            case .present: return "\(zone) SOA at \(server) over \(t.rawValue): answered"
            case .mname(let m): return "\(zone) SOA mname at \(server) over \(t.rawValue): \(m)"
            case .rname(let r): return "\(zone) SOA rname at \(server) over \(t.rawValue): \(r)"
            case .serial(let s): return "\(zone) SOA serial at \(server) over \(t.rawValue): \(s)"
            }
        case .soaConsistency(let zone, let servers, let ts, let drift):
            return "\(zone) SOA serial agrees across \(servers.map(\.description).joined(separator: ", ")) over "
                + ts.map(\.rawValue).joined(separator: " and ") + " (drift at most \(drift))"
        case .mxResolves(let zone, let server, let t):
            return "every MX exchange of \(zone) has an A or AAAA at \(server) over \(t.rawValue)"
        case .smtpHosts(let domain, let target, let server, let t):
            return "find the SMTP hosts \(target) of \(domain) at \(server) over \(t.rawValue)"
        case .smtp(let session, let step):
            return "SMTP \(session.target) port \(session.settings.port): \(step) \(expectation(session, step))"
        case .family(let f):
            return f.description
        }
    }

    static func expectation(_ s: SMTPSessionPlan, _ step: SMTPStep) -> String {
        switch step {
        case .banner: return s.banner.map { "expects \($0)" } ?? ""
        case .ehlo: return s.ehlo.map { "expects \($0)" } ?? ""
        case .extensions: return "advertises " + s.extensions.joined(separator: ", ")
        case .starttls: return s.starttls.map { "expects \($0) and a TLS handshake" } ?? ""
        case .mailFrom: return s.mailFrom.map { "from <\(s.settings.mailFrom)> expects \($0)" } ?? ""
        case .rcpt(_, let address):
            return s.rcpt.first { $0.address == address }.map { "to <\(address)> expects \($0.reply)" } ?? ""
        case .quit: return s.quit.map { "expects \($0)" } ?? ""
        }
    }

    public static func describe(_ e: RecordSetExpectation) -> String {
        var parts: [String] = []
        if let v = e.equals { parts.append("exactly [" + v.map(\.description).joined(separator: ", ") + "]") }
        if let v = e.contains { parts.append("contains [" + v.map(\.description).joined(separator: ", ") + "]") }
        if let v = e.excludes { parts.append("excludes [" + v.map(\.description).joined(separator: ", ") + "]") }
        if let c = e.count { parts.append("count \(c)") }
        if e.absent { parts.append("absent") }
        if let t = e.ttl { parts.append("TTL \(t)") }
        return parts.joined(separator: ", ")
    }
}
