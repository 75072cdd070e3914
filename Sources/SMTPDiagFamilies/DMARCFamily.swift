import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagMailAuth
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// `dmarc`: what the domain's DMARC record means (RFC 7489), at every server over every transport
/// (`example.test/dmarc@internal[127.0.0.10]/udp`): `valid`, `policy` or `policy_at_least`, `subdomain_policy`
/// (the effective `sp`), `pct`, `alignment: {dkim, spf}`, `rua_authorized`, and where the record is: at
/// `_dmarc.DOMAIN` (`location: exact`, the default) or found above it (`location: inherited`) by `discovery`
/// (RFC 7489's organizational domain from the Public Suffix List, or RFC 9989's tree walk).
public enum DMARCFamily: CheckFamily {
    public static let key = "dmarc"
    static let keys = [
        "valid", "policy", "policy_at_least", "subdomain_policy", "pct", "alignment", "rua_authorized", "location",
        "discovery",
    ]

    /// Where the record must be.
    public enum Location: String, Sendable, Hashable, CaseIterable {
        case exact, inherited
    }
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
        public var ruaAuthorized = false
        public var location: Location?
        public var discovery: DMARCDiscovery?

        /// How the record is found: only at `_dmarc.DOMAIN` unless discovery or an inherited location is asked.
        var walk: DMARCDiscovery? { discovery ?? (location == .inherited ? .rfc7489 : nil) }

        public var description: String {
            var parts: [String] = []
            if valid { parts.append("valid") }
            if let policy { parts.append("p=\(policy.rawValue)") }
            if let policyAtLeast { parts.append("p at least \(policyAtLeast.rawValue)") }
            if let subdomainPolicy { parts.append("sp=\(subdomainPolicy.rawValue)") }
            if let pct { parts.append("pct=\(pct)") }
            if let dkimAlignment { parts.append("adkim=\(dkimAlignment.rawValue)") }
            if let spfAlignment { parts.append("aspf=\(spfAlignment.rawValue)") }
            if ruaAuthorized { parts.append("external report destinations authorised") }
            if let location { parts.append("\(location.rawValue) location") }
            if let discovery { parts.append("discovery \(discovery.rawValue)") }
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
                "rua_authorized": SpecSchema.booleanValue, "location": ["enum": Location.allCases.map(\.rawValue)],
                "discovery": ["enum": DMARCDiscovery.allCases.map(\.rawValue)],
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
            case "rua_authorized":
                e.ruaAuthorized = reader.bool(v) ?? false
                if !e.ruaAuthorized { reader.error(v, "`rua_authorized: false` says nothing; leave it out") }
            case "location":
                guard let s = reader.string(v, what: "exact or inherited") else { continue }
                e.location = Location(rawValue: s)
                if e.location == nil { reader.error(v, "not a location", expected: "exact or inherited") }
            case "discovery":
                guard let s = reader.string(v, what: "rfc7489 or rfc9989") else { continue }
                e.discovery = DMARCDiscovery(rawValue: s)
                if e.discovery == nil {
                    reader.error(
                        v, "not a discovery method", expected: "rfc7489 (Public Suffix List) or rfc9989 (tree walk)")
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
        let e = q.expectation
        // Only the record at _dmarc.DOMAIN: one question a server.
        guard e.walk != nil || e.ruaAuthorized else {
            return await context.perServer(q.target, q.transport, question: Question(name: q.name, type: .txt)) {
                judge(TXTRecord.texts(FamilyContext.records($0, name: q.name, type: .txt)), found: q.name, q)
            }
        }
        let psl = context.probe(PublicSuffixList.self)
        return await context.eachServer(q.target) { server, r in
            await discover(q, psl: psl, server: server, context, &r)
        }
    }

    /// The TXT strings at `name` from one server, or why there are none to judge.
    static func ask(
        _ name: DomainName, _ q: Query, _ server: DNSServerAddress, _ context: FamilyContext, _ r: inout CheckResult
    )
        async -> [String]?
    {
        let question = Question(name: name, type: .txt)
        let answer = await context.ask(question, at: server, over: q.transport)
        r.evidence.note(answer, question)
        if let why = FamilyContext.unusable(answer) {
            r.status = .error
            r.message = why
            return nil
        }
        guard case .success(let response) = answer else { return nil }
        return TXTRecord.texts(FamilyContext.records(response, name: name, type: .txt))
    }

    /// Policy discovery (RFC 7489 6.6.3, or RFC 9989's tree walk), then the record's expectations and the
    /// authorisation of its external report destinations (RFC 7489 7.1).
    static func discover(
        _ q: Query, psl: PublicSuffixList?, server: DNSServerAddress, _ context: FamilyContext, _ r: inout CheckResult
    ) async {
        let e = q.expectation
        let domain = String(q.name.description.dropFirst("_dmarc.".count).dropLast())
        if e.walk == .rfc7489 || e.ruaAuthorized, psl == nil {
            r.message =
                "no Public Suffix List to find organizational domains with: install Debian's publicsuffix "
                + "or give run --psl FILE"
            return
        }
        var found: (name: DomainName, texts: [String])?
        for target in (e.walk ?? .rfc7489).targets(domain, psl: psl).prefix(e.walk == nil ? 1 : 8) {
            guard let name = try? DomainName(parsing: "_dmarc.\(target).") else { continue }
            guard let texts = await ask(name, q, server, context, &r) else { return }
            if texts.contains(where: DMARCRecord.isDMARC) || name == q.name && e.walk == nil {
                found = (name, texts)
                break
            }
        }
        guard let found else {
            r.apply(
                Matchers.Verdict(
                    pass: false, message: "no DMARC record at \(q.name) or above it (\(e.walk?.rawValue ?? "exact"))",
                    expected: e.description, actual: "none"))
            return
        }
        var verdict = judge(found.texts, found: found.name, q)
        if verdict.pass, e.ruaAuthorized,
            let record = try? DMARCRecord(parsing: found.texts.filter(DMARCRecord.isDMARC)[0]),
            let psl
        {
            let policyDomain = String(found.name.description.dropFirst("_dmarc.".count).dropLast())
            var unauthorised: [String] = []
            for uri in record.rua + record.ruf {
                guard let host = reportHost(uri) else { continue }
                guard psl.organizationalDomain(host) != psl.organizationalDomain(policyDomain) else { continue }
                guard let name = try? DomainName(parsing: "\(policyDomain)._report._dmarc.\(host).") else {
                    unauthorised.append("\(uri) (no authorisation name fits in 255 octets)")
                    continue
                }
                guard let texts = await ask(name, q, server, context, &r) else { return }
                if !texts.contains(where: DMARCRecord.isDMARC) { unauthorised.append("\(uri) (nothing at \(name))") }
            }
            if !unauthorised.isEmpty {
                verdict.pass = false
                verdict.message =
                    "external report destinations not authorised (RFC 7489 7.1): "
                    + unauthorised.joined(separator: ", ")
                verdict.missing = unauthorised
            }
        }
        r.apply(verdict)
    }

    /// The host of a `mailto:` report URI (`mailto:d@example.test!10m`), lower case; nil for other schemes.
    static func reportHost(_ uri: String) -> String? {
        guard uri.lowercased().hasPrefix("mailto:"), let at = uri.lastIndex(of: "@") else { return nil }
        var host = uri[uri.index(after: at)...]
        if let bang = host.firstIndex(of: "!") { host = host[..<bang] }
        return host.isEmpty ? nil : host.lowercased()
    }

    /// Judges the TXT strings found at `found` (`_dmarc.DOMAIN`, or an ancestor's when inherited).
    static func judge(_ texts: [String], found: DomainName, _ q: Query) -> Matchers.Verdict {
        let e = q.expectation
        let inherited = found != q.name
        func failed(_ message: String, actual: String) -> Matchers.Verdict {
            Matchers.Verdict(pass: false, message: message, expected: e.description, actual: actual)
        }
        let text: String
        switch TXTRecord.single(
            texts, where: DMARCRecord.isDMARC, kind: "DMARC record", at: inherited ? found : q.name,
            several: "receivers apply none", expected: e.description)
        {
        case .problem(let verdict): return verdict
        case .record(let t): text = t
        }
        let record: DMARCRecord
        do {
            record = try DMARCRecord(parsing: text)
        } catch {
            return failed("invalid DMARC record\(inherited ? " at \(found)" : ""): \(error)", actual: text)
        }
        var wrong: [String] = []
        if e.location == .exact && inherited {
            wrong.append("no record at \(q.name); the policy is inherited from \(found)")
        }
        if e.location == .inherited && !inherited { wrong.append("the record is at \(q.name) itself, not inherited") }
        // An inherited record applies its subdomain policy to the domain (RFC 7489 6.6.3).
        let applied = inherited ? record.effectiveSubdomainPolicy : record.policy
        let what = inherited ? "the policy inherited from \(found) (its sp, else p)" : "p"
        if let p = e.policy, applied != p { wrong.append("\(what) is \(applied.rawValue), not \(p.rawValue)") }
        if let p = e.policyAtLeast, applied < p {
            wrong.append("\(what) is \(applied.rawValue), weaker than \(p.rawValue)")
        }
        if let sp = e.subdomainPolicy, record.effectiveSubdomainPolicy != sp {
            wrong.append("the subdomain policy is \(record.effectiveSubdomainPolicy.rawValue), not \(sp.rawValue)")
        }
        if let pct = e.pct, record.pct != pct { wrong.append("pct is \(record.pct), not \(pct)") }
        if let a = e.dkimAlignment, record.dkimAlignment != a {
            wrong.append("adkim is \(record.dkimAlignment.rawValue)")
        }
        if let a = e.spfAlignment, record.spfAlignment != a { wrong.append("aspf is \(record.spfAlignment.rawValue)") }
        let actual = inherited ? "\(record) (at \(found))" : "\(record)"
        return Matchers.Verdict(
            pass: wrong.isEmpty, message: wrong.isEmpty ? actual : wrong.joined(separator: "; "),
            expected: e.description, actual: actual)
    }
}
