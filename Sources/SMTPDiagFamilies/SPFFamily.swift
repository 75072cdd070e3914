import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagMailAuth
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// `spf`: what the domain's SPF record means (RFC 7208), evaluated at every DNS server of the domain with every
/// question of the evaluation sent to that server (over UDP, again over TCP when truncated; TCP only when the
/// domain asks only TCP): `valid`, `max_lookups` (default 10), `max_void_lookups` (default 2), `allows`,
/// `denies` (with `soft_ok`), `all`, `forbid`, `sender`. Ids: `example.test/spf.lookups@internal[127.0.0.10]`,
/// `example.test/spf.allows[192.0.2.10]@internal[127.0.0.10]`.
public enum SPFFamily: CheckFamily {
    public static let key = "spf"
    static let keys = [
        "valid", "max_lookups", "max_void_lookups", "allows", "denies", "soft_ok", "all", "forbid", "sender",
    ]
    static let forbiddable = ["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists", "redirect", "exp"]
    static let allForms = ["+all", "-all", "~all", "?all", "all"]

    public struct Expectation: FamilyExpectation {
        public var valid = false
        public var maxLookups = 10
        public var maxVoidLookups = 2
        public var allows: [SPFAddress] = []
        public var denies: [SPFAddress] = []
        public var softOK = false
        /// The qualifier of the `all` that ends evaluation.
        public var all: SPFRecord.Qualifier?
        /// Terms no evaluation may reach: a mechanism or modifier name, with a qualifier or not (`ptr`, `+all`).
        public var forbid: [String] = []
        /// The MAIL FROM address check_host uses (`postmaster@DOMAIN` unless the spec says).
        public var sender: String
        /// Where each key was written (`allows 192.0.2.10` for one address): each check points at its line.
        public var locations: [String: SourceLocation] = [:]
    }

    /// One expectation of one check.
    enum Aspect: Hashable, Sendable {
        case valid
        case lookups(Int)
        case voids(Int)
        case allows(SPFAddress)
        case denies(SPFAddress, softOK: Bool)
        case all(SPFRecord.Qualifier)
        case forbid([String])
    }

    struct Query: FamilyCheckValue {
        let domain: String
        let sender: String
        let aspect: Aspect
        let target: ServerTarget
        let tcpOnly: Bool
        var server: ServerTarget? { target }
        var description: String {
            let what: String
            switch aspect {
            case .valid: what = "one valid SPF record, and valid records wherever it leads"
            case .lookups(let n): what = "at most \(n) DNS-querying terms on any evaluation path"
            case .voids(let n): what = "at most \(n) void lookups on any evaluation path"
            case .allows(let ip): what = "check_host(\(ip), \(sender)) is pass"
            case .denies(let ip, let soft): what = "check_host(\(ip), \(sender)) is fail\(soft ? " or softfail" : "")"
            case .all(let q): what = "evaluation ends with \(q.rawValue)all"
            case .forbid(let f): what = "no evaluation reaches \(f.joined(separator: ", "))"
            }
            return "\(domain) SPF at \(target)\(tcpOnly ? " over TCP" : ""): \(what)"
        }
    }

    public static func schema() -> SchemaFragment {
        let strings: [String: Any] = ["type": "array", "items": ["type": "string"]]
        return SchemaFragment(
            SpecSchema.objectValue([
                "valid": SpecSchema.booleanValue, "max_lookups": SpecSchema.integerValue(0, 10),
                "max_void_lookups": SpecSchema.integerValue(0, 2), "allows": strings, "denies": strings,
                "soft_ok": SpecSchema.booleanValue, "all": ["enum": allForms],
                "forbid": strings, "sender": ["type": "string"],
            ]))
    }

    public static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        guard let pairs = reader.mapping(value, known: keys, what: "a mapping of SPF expectations") else {
            return nil
        }
        let domain = SPFEvaluator.text(reader.domain)
        var e = Expectation(sender: "postmaster@\(domain)")
        func addresses(_ v: SpecValue, _ key: String) -> [SPFAddress] {
            guard let items = reader.sequence(v, what: "a list of client IP addresses") else { return [] }
            return items.compactMap { item in
                guard let s = reader.string(item, what: "an IPv4 or IPv6 address") else { return nil }
                guard let a = SPFAddress(s) else {
                    reader.error(item, "not an IP address", expected: "an IPv4 or IPv6 address, e.g. 192.0.2.10")
                    return nil
                }
                e.locations["\(key) \(a)"] = reader.location(item)
                return a
            }
        }
        for pair in pairs {
            let v = pair.value
            e.locations[pair.key] = pair.keyLocation
            switch pair.key {
            case "valid":
                e.valid = reader.bool(v) ?? false
                if !e.valid { reader.error(v, "`valid: false` says nothing; leave it out") }
            case "max_lookups":
                e.maxLookups =
                    reader.integer(v, range: 0...10, what: "0 to 10 (RFC 7208 4.6.4: receivers stop at 10)").map {
                        Int($0)
                    } ?? 10
            case "max_void_lookups":
                e.maxVoidLookups =
                    reader.integer(v, range: 0...2, what: "0 to 2 (RFC 7208 4.6.4: receivers stop at 2)").map {
                        Int($0)
                    } ?? 2
            case "allows": e.allows = addresses(v, "allows")
            case "denies": e.denies = addresses(v, "denies")
            case "soft_ok": e.softOK = reader.bool(v) ?? false
            case "all":
                guard let s = reader.string(v, what: "-all, ~all, ?all or +all") else { continue }
                guard allForms.contains(s) else {
                    reader.error(v, "not an all term", expected: "-all, ~all, ?all or +all")
                    continue
                }
                e.all = SPFRecord.Qualifier(rawValue: String(s.first ?? "+")) ?? .pass
            case "forbid":
                guard let items = reader.sequence(v, what: "a list of terms, e.g. [ptr, +all]") else { continue }
                for item in items {
                    guard let s = reader.string(item, what: "a mechanism or modifier, e.g. ptr or +all") else {
                        continue
                    }
                    let name =
                        s.first.map { SPFRecord.Qualifier(rawValue: String($0)) != nil } == true
                        ? String(s.dropFirst()) : s
                    let isModifier = name == "redirect" || name == "exp"
                    guard forbiddable.contains(name), !(isModifier && name != s) else {
                        reader.error(
                            item, "not an SPF mechanism or modifier",
                            expected: "a mechanism (\(forbiddable.prefix(8).joined(separator: ", "))) with or "
                                + "without a qualifier, or redirect or exp")
                        continue
                    }
                    e.forbid.append(s)
                }
            case "sender":
                guard let s = reader.string(v, what: "a local part or an address") else { continue }
                guard !s.isEmpty, s.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }),
                    s.filter({ $0 == "@" }).count <= 1, !s.hasSuffix("@")
                else {
                    reader.error(v, "not a sender", expected: "a local part (postmaster) or an address (a@b.test)")
                    continue
                }
                e.sender = s.contains("@") ? s : "\(s)@\(domain)"
            default: break
            }
        }
        if pairs.isEmpty {
            reader.error(value, "no SPF expectation", expected: "one of \(keys.joined(separator: ", "))")
        }
        return e
    }

    public static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard let e = entry.value as? Expectation else { return }
        var aspects: [(String, String?, Aspect, String)] = []
        if e.valid { aspects.append(("spf.valid", nil, .valid, "valid")) }
        aspects.append(("spf.lookups", nil, .lookups(e.maxLookups), "max_lookups"))
        aspects.append(("spf.void_lookups", nil, .voids(e.maxVoidLookups), "max_void_lookups"))
        for ip in e.allows { aspects.append(("spf.allows", ip.description, .allows(ip), "allows \(ip)")) }
        for ip in e.denies {
            aspects.append(("spf.denies", ip.description, .denies(ip, softOK: e.softOK), "denies \(ip)"))
        }
        if let q = e.all { aspects.append(("spf.all", nil, .all(q), "all")) }
        if !e.forbid.isEmpty { aspects.append(("spf.forbid", nil, .forbid(e.forbid), "forbid")) }
        let tcpOnly = !domain.transports.contains(.udp)
        let name = SPFEvaluator.text(domain.zone)
        for (expectation, qualifier, aspect, written) in aspects {
            let location = e.locations[written] ?? entry.location
            for server in domain.servers {
                var deps: [CheckID] = []
                if case .authoritative = server { deps = [domain.discoveryID] }
                let q = Query(domain: name, sender: e.sender, aspect: aspect, target: server, tcpOnly: tcpOnly)
                domain.add(
                    expectation, qualifier: qualifier, .family(FamilyCheck(family: key, value: q)), location,
                    server: server, dependencies: deps)
            }
        }
    }

    // MARK: - Evaluation

    /// Every question of an evaluation, to one server, through the run's cache.
    struct ServerResolver: SPFResolver {
        let context: FamilyContext
        let server: DNSServerAddress
        let tcpOnly: Bool

        func lookup(_ name: DomainName, _ type: RecordType) async -> SPFLookup {
            let q = Question(name: name, type: type)
            let answer =
                tcpOnly ? await context.ask(q, at: server, over: .tcp) : await context.askWhole(q, at: server)
            return SPFFamily.lookup(answer, name, type)
        }
    }

    /// An answer as SPF sees it: records (after a CNAME chain in the answer), void (NXDOMAIN, or no records of
    /// the type), or an error (temperror) when the answer cannot be used.
    public static func lookup(_ answer: Result<DNSResponse, DNSClientError>, _ name: DomainName, _ type: RecordType)
        -> SPFLookup
    {
        if let why = FamilyContext.unusable(answer) { return .error(why) }
        guard case .success(let response) = answer else { return .error("no answer") }
        if response.rcode == .nxDomain { return .void }
        let records = FamilyContext.records(response, name: name, type: type).map(\.rdata)
        return records.isEmpty ? .void : .records(records)
    }

    /// The addresses a walk uses for `%{i}` and to choose A or AAAA lookups (documentation prefixes).
    static let walkClients = [
        SPFAddress(bytes: [192, 0, 2, 1]),
        SPFAddress(bytes: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]),
    ]

    public static func evaluate(_ value: any FamilyCheckValue, _ context: FamilyContext) async -> [CheckResult] {
        guard let q = value as? Query else { return [context.result(.error, "not an SPF check")] }
        return await context.eachServer(q.target) { server, r in
            var evaluator = SPFEvaluator(
                resolver: ServerResolver(context: context, server: server, tcpOnly: q.tcpOnly))
            // A walk notes the term that goes over the limit the spec sets.
            if case .lookups(let max) = q.aspect { evaluator.maxLookups = max }
            if case .voids(let max) = q.aspect { evaluator.maxVoidLookups = max }
            switch q.aspect {
            case .allows(let ip), .denies(let ip, _):
                let outcome = await evaluator.checkHost(client: ip, domain: q.domain, sender: q.sender, helo: q.domain)
                judge(outcome, q, &r)
            default:
                var walks: [SPFWalk] = []
                for client in walkClients {
                    walks.append(
                        await evaluator.walk(domain: q.domain, sender: q.sender, helo: q.domain, client: client))
                }
                judge(walks, q, &r)
            }
        }
    }

    static func judge(_ e: SPFEvaluation, _ q: Query, _ r: inout CheckResult) {
        for line in e.trace { r.evidence.note("spf: \(line)") }
        let wanted: Set<SPFResult>
        switch q.aspect {
        case .denies(_, let soft): wanted = soft ? [.fail, .softfail] : [.fail]
        default: wanted = [.pass]
        }
        r.expected = wanted.map(\.rawValue).sorted().joined(separator: " or ")
        r.actual = e.result.rawValue
        if e.result == .temperror {
            r.status = .error
            r.message = "temperror: \(e.reason)"
            return
        }
        r.status = wanted.contains(e.result) ? .pass : .fail
        r.message = "\(e.result): \(e.reason)" + (e.explanation.map { " (explanation: \($0))" } ?? "")
    }

    static func judge(_ walks: [SPFWalk], _ q: Query, _ r: inout CheckResult) {
        for (walk, client) in zip(walks, walkClients) {
            for line in walk.trace { r.evidence.note("spf walk, client \(client): \(line)") }
        }
        if let failed = walks.first(where: { $0.error != nil }), let why = failed.error {
            r.status = .error
            r.message = "temperror: \(why)"
            return
        }
        guard let walk = walks.first, walk.found else {
            r.status = .fail
            r.expected = "an SPF record"
            r.actual = "none"
            r.message = "no SPF record at \(q.domain)"
            return
        }
        func verdict(_ pass: Bool, _ message: String, expected: String, actual: String) {
            r.status = pass ? .pass : .fail
            r.message = message
            r.expected = expected
            r.actual = actual
        }
        /// A worst-case count against its limit, with the term and path that go over it.
        func limit(_ max: Int, _ what: String, _ count: KeyPath<SPFWalk, Int>, _ overflow: KeyPath<SPFWalk, String?>) {
            let worst = walks.max { $0[keyPath: count] < $1[keyPath: count] } ?? walk
            let n = worst[keyPath: count]
            let detail = n > max ? "; " + (worst[keyPath: overflow] ?? "") : ""
            verdict(
                n <= max, "worst case \(n) \(what)\(byFamily(walks.map { $0[keyPath: count] })), limit \(max)\(detail)",
                expected: "at most \(max)", actual: "\(n)")
        }
        switch q.aspect {
        case .valid:
            let problems = Array(Set(walks.flatMap(\.problems))).sorted()
            verdict(
                problems.isEmpty,
                problems.isEmpty ? "valid, and every record it reaches is valid" : problems.joined(separator: "; "),
                expected: "valid", actual: problems.isEmpty ? "valid" : "permerror")
        case .lookups(let max):
            limit(max, "DNS-querying terms", \.lookups, \.lookupsOverflow)
        case .voids(let max):
            limit(max, "void lookups", \.voidLookups, \.voidsOverflow)
        case .all(let want):
            let got = walk.finalAll
            let text = got.map { "\($0.qualifier?.rawValue ?? "+")all" } ?? "no all"
            verdict(
                got?.qualifier == want,
                got.map { "evaluation ends with \($0.text) at \($0.domain)" }
                    ?? "no all ends evaluation (nothing matched is neutral, RFC 7208 4.7)",
                expected: "\(want.rawValue)all", actual: text)
        case .forbid(let list):
            var found: [String] = []
            for t in walks.flatMap(\.terms) where list.contains(where: { forbids($0, t) }) {
                let s = "\(t)"
                if !found.contains(s) { found.append(s) }
            }
            verdict(
                found.isEmpty,
                found.isEmpty ? "none of \(list.joined(separator: ", ")) is reached" : found.joined(separator: "; "),
                expected: "none of \(list.joined(separator: ", "))",
                actual: found.isEmpty ? "none" : "\(found.count) found")
        case .allows, .denies: break
        }
    }

    /// " (IPv4 client 3, IPv6 client 4)" when the walks of the two families differ, else nothing.
    static func byFamily(_ counts: [Int]) -> String {
        guard counts.count == 2, counts[0] != counts[1] else { return "" }
        return " (IPv4 client \(counts[0]), IPv6 client \(counts[1]))"
    }

    /// Whether a forbidden form (`ptr`, `+all`, `redirect`) names a term.
    static func forbids(_ form: String, _ t: SPFWalk.Term) -> Bool {
        if let f = form.first, let q = SPFRecord.Qualifier(rawValue: String(f)) {
            return t.qualifier == q && t.name == form.dropFirst()
        }
        return t.name == form
    }
}
