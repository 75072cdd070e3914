import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagMailAuth
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// `dmarc`: what the domain's DMARC record at `_dmarc.DOMAIN` means (RFC 7489), at every server over every
/// transport (`example.test/dmarc@internal[127.0.0.10]/udp`): `valid`, `policy` or `policy_at_least`,
/// `subdomain_policy` (the effective `sp`), `pct`, `alignment: {dkim, spf}`.
public enum DMARCFamily: CheckFamily {
    public static let key = "dmarc"
    static let keys = ["valid", "policy", "policy_at_least", "subdomain_policy", "pct", "alignment"]
    static let policies = DMARCRecord.Policy.allCases.map(\.rawValue)

    public struct Expectation: FamilyExpectation, CustomStringConvertible {
        /// Where the record is: `_dmarc.DOMAIN`.
        public let name: DomainName
        public var valid = false
        public var policy: DMARCRecord.Policy?
        public var policyAtLeast: DMARCRecord.Policy?
        public var subdomainPolicy: DMARCRecord.Policy?
        public var pct: Int?
        public var dkimAlignment: DMARCRecord.Alignment?
        public var spfAlignment: DMARCRecord.Alignment?

        public var description: String {
            var parts: [String] = []
            if valid { parts.append("valid") }
            if let policy { parts.append("p=\(policy.rawValue)") }
            if let policyAtLeast { parts.append("p at least \(policyAtLeast.rawValue)") }
            if let subdomainPolicy { parts.append("sp=\(subdomainPolicy.rawValue)") }
            if let pct { parts.append("pct=\(pct)") }
            if let dkimAlignment { parts.append("adkim=\(dkimAlignment.rawValue)") }
            if let spfAlignment { parts.append("aspf=\(spfAlignment.rawValue)") }
            return parts.joined(separator: ", ")
        }
    }

    struct Query: FamilyCheckValue {
        let name: DomainName
        let expectation: Expectation
        let target: ServerTarget
        let transport: SpecTransport
        var server: ServerTarget? { target }
        var description: String {
            "\(name) DMARC record at \(target) over \(transport.rawValue): \(expectation)"
        }
    }

    public static func schema() -> SchemaFragment {
        let policy: [String: Any] = ["enum": policies]
        let alignment: [String: Any] = ["enum": ["r", "s"]]
        return SchemaFragment(
            SpecSchema.objectValue([
                "valid": SpecSchema.booleanValue, "policy": policy, "policy_at_least": policy,
                "subdomain_policy": policy, "pct": SpecSchema.integerValue(0, 100),
                "alignment": SpecSchema.objectValue(["dkim": alignment, "spf": alignment]),
            ]))
    }

    public static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        guard let pairs = reader.mapping(value, known: keys, what: "a mapping of DMARC expectations") else {
            return nil
        }
        // A name too long to have `_dmarc` below it can have no DMARC record: said, never a check left out.
        guard let name = try? DomainName(parsing: "_dmarc", origin: reader.domain) else {
            reader.error(value, "\(reader.domain) is too long to have a _dmarc name below it")
            return nil
        }
        var e = Expectation(name: name)
        func policy(_ v: SpecValue) -> DMARCRecord.Policy? {
            guard let s = reader.string(v, what: "none, quarantine or reject") else { return nil }
            guard let p = DMARCRecord.Policy(rawValue: s) else {
                reader.error(v, "not a DMARC policy", expected: "none, quarantine or reject")
                return nil
            }
            return p
        }
        for pair in pairs {
            let v = pair.value
            switch pair.key {
            case "valid":
                e.valid = reader.bool(v) ?? false
                if !e.valid { reader.error(v, "`valid: false` says nothing; leave it out") }
            case "policy": e.policy = policy(v)
            case "policy_at_least": e.policyAtLeast = policy(v)
            case "subdomain_policy": e.subdomainPolicy = policy(v)
            case "pct": e.pct = reader.integer(v, range: 0...100, what: "a percentage, 0 to 100").map { Int($0) }
            case "alignment":
                guard let modes = reader.mapping(v, known: ["dkim", "spf"], what: "{dkim, spf}") else { continue }
                for m in modes {
                    guard let s = reader.string(m.value, what: "r or s") else { continue }
                    guard let a = DMARCRecord.Alignment(rawValue: s) else {
                        reader.error(m.value, "not an alignment mode", expected: "r (relaxed) or s (strict)")
                        continue
                    }
                    if m.key == "dkim" { e.dkimAlignment = a } else { e.spfAlignment = a }
                }
            default: break
            }
        }
        if pairs.isEmpty {
            reader.error(value, "no DMARC expectation", expected: "one of \(keys.joined(separator: ", "))")
        }
        if e.policy != nil && e.policyAtLeast != nil {
            reader.error(value, "`policy` and `policy_at_least` together; keep one")
        }
        return e
    }

    public static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard let e = entry.value as? Expectation else { return }
        domain.perQuery(key, entry.location) { server, t in
            .family(FamilyCheck(family: key, value: Query(name: e.name, expectation: e, target: server, transport: t)))
        }
    }

    public static func evaluate(_ value: any FamilyCheckValue, _ context: FamilyContext) async -> [CheckResult] {
        guard let q = value as? Query else { return [context.result(.error, "not a DMARC check")] }
        return await context.perServer(q.target, q.transport, question: Question(name: q.name, type: .txt)) {
            judge(FamilyContext.records($0, name: q.name, type: .txt), q)
        }
    }

    static func judge(_ records: [ResourceRecord], _ q: Query) -> Matchers.Verdict {
        let texts = records.compactMap { r -> String? in
            if case .txt(let t) = r.rdata { return t.joined }
            return nil
        }
        let dmarc = texts.filter(DMARCRecord.isDMARC)
        let e = q.expectation
        func failed(_ message: String, actual: String) -> Matchers.Verdict {
            Matchers.Verdict(pass: false, message: message, expected: e.description, actual: actual)
        }
        guard !dmarc.isEmpty else { return failed("no DMARC record at \(q.name)", actual: "none") }
        // RFC 7489 6.6.3: more than one record, and receivers apply none of them.
        guard dmarc.count == 1 else {
            return failed(
                "\(dmarc.count) DMARC records at \(q.name): receivers apply none",
                actual: dmarc.joined(separator: " | "))
        }
        let record: DMARCRecord
        do {
            record = try DMARCRecord(parsing: dmarc[0])
        } catch {
            return failed("invalid DMARC record: \(error)", actual: dmarc[0])
        }
        var wrong: [String] = []
        if let p = e.policy, record.policy != p { wrong.append("p is \(record.policy.rawValue), not \(p.rawValue)") }
        if let p = e.policyAtLeast, record.policy < p {
            wrong.append("p is \(record.policy.rawValue), weaker than \(p.rawValue)")
        }
        if let sp = e.subdomainPolicy, record.effectiveSubdomainPolicy != sp {
            wrong.append("the subdomain policy is \(record.effectiveSubdomainPolicy.rawValue), not \(sp.rawValue)")
        }
        if let pct = e.pct, record.pct != pct { wrong.append("pct is \(record.pct), not \(pct)") }
        if let a = e.dkimAlignment, record.dkimAlignment != a {
            wrong.append("adkim is \(record.dkimAlignment.rawValue)")
        }
        if let a = e.spfAlignment, record.spfAlignment != a { wrong.append("aspf is \(record.spfAlignment.rawValue)") }
        return Matchers.Verdict(
            pass: wrong.isEmpty, message: wrong.isEmpty ? "\(record)" : wrong.joined(separator: "; "),
            expected: e.description, actual: "\(record)")
    }
}
