import SMTPDiagDNSWire

/// What a DNS question gave an SPF evaluation: records, nothing (NXDOMAIN or no records of the type: a "void
/// lookup", RFC 7208 4.6.4), or an error (timeout, SERVFAIL...: `temperror`).
public enum SPFLookup: Sendable {
    case records([RData])
    case void
    case error(String)
}

/// Where an SPF evaluation asks its questions; the evaluation itself does no I/O.
public protocol SPFResolver: Sendable {
    func lookup(_ name: DomainName, _ type: RecordType) async -> SPFLookup
}

/// The outcome of check_host (RFC 7208 4) for one client, sender and HELO name.
public struct SPFEvaluation: Sendable, Hashable {
    public var result: SPFResult
    /// Why: the term that matched, or the error.
    public var reason: String
    /// The `exp=` explanation of a `fail`, expanded.
    public var explanation: String?
    /// Terms that queried DNS (include, a, mx, ptr, exists, redirect), over every nested record.
    public var lookups: Int
    public var voidLookups: Int
    /// Each record fetched and each term evaluated, in order.
    public var trace: [String]
}

/// The evaluation of check_host (RFC 7208 4-7) and a walk of every term it could evaluate (`walk`): the
/// worst-case lookup counts with the path that reaches them, syntax problems anywhere, the terms present.
public struct SPFEvaluator: Sendable {
    public let resolver: any SPFResolver
    public var maxLookups = 10
    public var maxVoidLookups = 2
    /// At most this many names of an `mx` (more is `permerror`) or a `ptr` (more are ignored) (4.6.4).
    public static let maxNames = 10
    /// Nesting deeper than this is a loop the lookup limit did not stop (a walk has no limit).
    public static let maxDepth = 20
    /// A walk stops after this many terms (records that include the same records many times).
    public static let maxWalkedTerms = 2000
    public static let maxTrace = 400

    public init(resolver: any SPFResolver, maxLookups: Int = 10, maxVoidLookups: Int = 2) {
        self.resolver = resolver
        self.maxLookups = maxLookups
        self.maxVoidLookups = maxVoidLookups
    }

    enum Stop: Error {
        case perm(String)
        case temp(String)
    }

    /// The state of one evaluation or walk.
    struct State {
        var context: MacroContext
        var walk: Bool
        var lookups = 0
        var voids = 0
        var trace: [String] = []
        var walked = 0
        /// Records being evaluated, outermost first, with the term that led to each (a walk's path).
        var path: [String] = []
        var visiting: [String] = []
        var validatedNameDone = false
        // What a walk found.
        var problems: [String] = []
        var terms: [SPFWalk.Term] = []
        var lookupsOverflow: String?
        var voidsOverflow: String?
        var finalAll: SPFWalk.Term?
        var records = 0

        mutating func note(_ s: String) {
            if trace.count < SPFEvaluator.maxTrace { trace.append(s) }
        }
    }

    // MARK: - check_host

    /// check_host(ip, domain, sender) with `helo` for `%{h}`; an empty sender's local part is `postmaster` and an
    /// empty sender is `postmaster@HELO` (2.4).
    public func checkHost(client: SPFAddress, domain: String, sender: String, helo: String) async -> SPFEvaluation {
        let sender = Self.sender(sender, helo: helo)
        var st = State(context: MacroContext(sender: sender, domain: domain, client: client, helo: helo), walk: false)
        let result: SPFResult
        var reason = ""
        var explanation: String?
        do {
            guard let name = Self.name(domain, truncate: false), name.labelCount >= 2 else {
                st.note("\(domain): not a multi-label domain name: none (4.3)")
                return SPFEvaluation(
                    result: .none, reason: "\(domain) is not a domain name", explanation: nil, lookups: 0,
                    voidLookups: 0, trace: st.trace)
            }
            let outcome = try await host(name, &st, depth: 0)
            (result, reason, explanation) = (outcome.result, outcome.reason, outcome.explanation)
        } catch {
            switch error {
            case .perm(let why):
                (result, reason) = (.permerror, why)
                st.note("permerror: \(why)")
            case .temp(let why):
                (result, reason) = (.temperror, why)
                st.note("temperror: \(why)")
            }
        }
        return SPFEvaluation(
            result: result, reason: reason, explanation: explanation, lookups: st.lookups, voidLookups: st.voids,
            trace: st.trace)
    }

    static func sender(_ sender: String, helo: String) -> String {
        if sender.isEmpty { return "postmaster@" + helo }
        if !sender.contains("@") { return "postmaster@" + sender }
        if sender.hasPrefix("@") { return "postmaster" + sender }
        return sender
    }

    struct Outcome {
        var result: SPFResult
        var reason: String
        var explanation: String?
    }

    /// The name an SPF domain string stands for: labels split at dots (a final dot allowed), each 1 to 63
    /// octets; over 253 characters, labels are dropped from the left (7.3) when `truncate`.
    static func name(_ text: String, truncate: Bool) -> DomainName? {
        var t = Substring(text)
        if t.hasSuffix(".") { t = t.dropLast() }
        var labels = t.split(separator: ".", omittingEmptySubsequences: false)
        if truncate {
            while labels.count > 1 && labels.map(\.utf8.count).reduce(labels.count - 1, +) > 253 {
                labels.removeFirst()
            }
        }
        guard !labels.isEmpty, labels.allSatisfy({ !$0.isEmpty }) else { return nil }
        return try? DomainName(labels: labels.map { Array($0.utf8) })
    }

    /// A name as SPF writes it: no final dot.
    public static func text(_ name: DomainName) -> String {
        let d = name.description
        return d.hasSuffix(".") ? String(d.dropLast()) : d
    }

    /// The SPF record of `name`: none (no TXT or no `v=spf1` among them), one, or `permerror` for two.
    func record(_ name: DomainName, _ st: inout State) async throws(Stop) -> SPFRecord? {
        let found: [String]
        switch await resolver.lookup(name, .txt) {
        case .error(let why): throw .temp("the TXT lookup of \(Self.text(name)) failed: \(why)")
        case .void: found = []
        case .records(let rs):
            found = rs.compactMap { if case .txt(let t) = $0 { return t.joined } else { return nil } }
                .filter(SPFRecord.isSPF)
        }
        st.records += 1
        guard !found.isEmpty else { return nil }
        guard found.count == 1 else {
            throw .perm("\(found.count) SPF records at \(Self.text(name)) (4.5)")
        }
        do {
            return try SPFRecord(parsing: found[0])
        } catch {
            throw .perm("the SPF record of \(Self.text(name)) is invalid: \(error)")
        }
    }

    /// check_host for one domain; `depth` counts nested include and redirect.
    func host(_ name: DomainName, _ st: inout State, depth: Int) async throws(Stop) -> Outcome {
        let domain = Self.text(name)
        guard depth <= Self.maxDepth else { throw .perm("more than \(Self.maxDepth) nested records at \(domain)") }
        guard let record = try await record(name, &st) else {
            st.note("\(domain): no SPF record")
            return Outcome(result: .none, reason: "\(domain) has no SPF record")
        }
        st.note("\(domain): \(record.text)")
        let saved = st.context.domain
        st.context.domain = domain
        defer { st.context.domain = saved }
        for directive in record.directives {
            if try await matches(directive, record, domain, &st, depth: depth) {
                let result = directive.qualifier.result
                st.note("\(domain): \(directive.text) matched: \(result)")
                var outcome = Outcome(result: result, reason: "\(directive.text) at \(domain) matched")
                if result == .fail, let exp = record.exp {
                    outcome.explanation = await explanation(exp, &st)
                }
                return outcome
            }
            st.note("\(domain): \(directive.text): no match")
        }
        if record.all == nil, let redirect = record.redirect {
            try count("redirect=\(redirect)", domain, &st)
            let target = try await expand(redirect, &st)
            guard let targetName = Self.name(target, truncate: true) else {
                throw .perm("redirect=\(redirect) at \(domain) names no domain (\(target))")
            }
            st.note("\(domain): redirect=\(target)")
            let inner = try await host(targetName, &st, depth: depth + 1)
            if inner.result == .none { throw .perm("redirect=\(target) at \(domain): the target has no SPF record") }
            return inner
        }
        st.note("\(domain): nothing matched: neutral")
        return Outcome(result: .neutral, reason: "no term of \(domain) matched")
    }

    /// Counts a term that queries DNS; the eleventh is `permerror` (4.6.4).
    func count(_ term: String, _ domain: String, _ st: inout State) throws(Stop) {
        st.lookups += 1
        if st.lookups > maxLookups {
            throw .perm("\(term) at \(domain) is DNS-querying term \(st.lookups), over the limit of \(maxLookups)")
        }
    }

    func void(_ term: String, _ domain: String, _ st: inout State) throws(Stop) {
        st.voids += 1
        if st.voids > maxVoidLookups {
            throw .perm("\(term) at \(domain) is void lookup \(st.voids), over the limit of \(maxVoidLookups)")
        }
    }

    func expand(_ m: MacroString, _ st: inout State) async throws(Stop) -> String {
        if !st.validatedNameDone,
            m.parts.contains(where: { if case .macro("p", _, _, _, _) = $0 { true } else { false } })
        {
            st.validatedNameDone = true
            st.context.validatedName = await validatedName(of: st.context.client, near: st.context.domain)
        }
        return m.expand(st.context)
    }

    /// Addresses of `name` of the client's family, or nil for a void answer.
    func addresses(_ name: DomainName, ipv4: Bool) async throws(Stop) -> [[UInt8]]? {
        switch await resolver.lookup(name, ipv4 ? .a : .aaaa) {
        case .error(let why): throw .temp("the \(ipv4 ? "A" : "AAAA") lookup of \(Self.text(name)) failed: \(why)")
        case .void: return nil
        case .records(let rs):
            let list: [[UInt8]] = rs.compactMap {
                switch $0 {
                case .a(let a) where ipv4: return a.address
                case .aaaa(let a) where !ipv4: return a.address
                default: return nil
                }
            }
            return list.isEmpty ? nil : list
        }
    }

    /// Whether a directive matches the client (a walk evaluates it for its lookups and never matches).
    func matches(_ d: SPFRecord.Directive, _ record: SPFRecord, _ domain: String, _ st: inout State, depth: Int)
        async throws(Stop) -> Bool
    {
        if d.mechanism.queriesDNS { try count(d.text, domain, &st) }
        let client = st.context.client
        func target(_ spec: MacroString?) async throws(Stop) -> DomainName? {
            guard let spec else { return Self.name(domain, truncate: false) }
            let t = try await expand(spec, &st)
            return Self.name(t, truncate: true)
        }
        switch d.mechanism {
        case .all:
            return true
        case .ip4(let net, let len):
            return client.isIn(net, length: len)
        case .ip6(let net, let len):
            return client.isIn(net, length: len)
        case .a(let spec, let v4, let v6):
            guard let name = try await target(spec) else {
                try void(d.text, domain, &st)
                return false
            }
            guard let list = try await addresses(name, ipv4: client.isIPv4) else {
                st.note("\(domain): \(d.text): no address (void)")
                try void(d.text, domain, &st)
                return false
            }
            return list.contains { client.isIn($0, length: client.isIPv4 ? v4 : v6) }
        case .mx(let spec, let v4, let v6):
            guard let name = try await target(spec) else {
                try void(d.text, domain, &st)
                return false
            }
            let exchanges: [DomainName]
            switch await resolver.lookup(name, .mx) {
            case .error(let why): throw .temp("the MX lookup of \(Self.text(name)) failed: \(why)")
            case .void: exchanges = []
            case .records(let rs): exchanges = rs.compactMap { if case .mx(let m) = $0 { m.exchange } else { nil } }
            }
            guard !exchanges.isEmpty else {
                st.note("\(domain): \(d.text): no MX (void; no fallback to A, 5.4)")
                try void(d.text, domain, &st)
                return false
            }
            guard exchanges.count <= Self.maxNames else {
                throw .perm("\(d.text) at \(domain): \(exchanges.count) MX names, more than \(Self.maxNames) (4.6.4)")
            }
            for exchange in exchanges where !exchange.isRoot {
                guard let list = try await addresses(exchange, ipv4: client.isIPv4) else { continue }
                if list.contains(where: { client.isIn($0, length: client.isIPv4 ? v4 : v6) }) { return true }
            }
            return false
        case .ptr(let spec):
            guard let name = try await target(spec) else { return false }
            let names: [DomainName]
            switch await resolver.lookup(client.reverseName, .ptr) {
            // 5.5: a DNS error on the PTR lookup is no match, not temperror.
            case .error: return false
            case .void:
                try void(d.text, domain, &st)
                return false
            case .records(let rs): names = rs.compactMap { if case .ptr(let p) = $0 { p.target } else { nil } }
            }
            for candidate in names.prefix(Self.maxNames) where candidate == name || candidate.isSubdomain(of: name) {
                if let list = try? await addresses(candidate, ipv4: client.isIPv4), list.contains(client.bytes) {
                    return true
                }
            }
            return false
        case .exists(let spec):
            guard let name = try await target(spec) else {
                try void(d.text, domain, &st)
                return false
            }
            switch await resolver.lookup(name, .a) {
            case .error(let why): throw .temp("the A lookup of \(Self.text(name)) failed: \(why)")
            case .void:
                try void(d.text, domain, &st)
                return false
            case .records(let rs):
                return rs.contains { if case .a = $0 { true } else { false } }
            }
        case .include(let spec):
            let t = try await expand(spec, &st)
            guard let name = Self.name(t, truncate: true) else {
                throw .perm("\(d.text) at \(domain) names no domain (\(t))")
            }
            let inner = try await host(name, &st, depth: depth + 1)
            switch inner.result {
            case .pass: return true
            case .fail, .softfail, .neutral: return false
            case .none: throw .perm("\(d.text) at \(domain): \(t) has no SPF record (5.2)")
            case .temperror: throw .temp(inner.reason)
            case .permerror: throw .perm(inner.reason)
            }
        }
    }

    /// The `%{p}` name (7.3): a name of the client's PTR records whose addresses include the client, preferring
    /// `domain` and its subdomains; "unknown" when none.
    func validatedName(of client: SPFAddress, near domain: String) async -> String? {
        guard case .records(let rs) = await resolver.lookup(client.reverseName, .ptr) else { return nil }
        let names = rs.compactMap { if case .ptr(let p) = $0 { p.target } else { nil } }.prefix(Self.maxNames)
        var validated: [DomainName] = []
        for n in names {
            if let list = try? await addresses(n, ipv4: client.isIPv4), list.contains(client.bytes) {
                validated.append(n)
            }
        }
        guard let d = Self.name(domain, truncate: false) else { return validated.first.map(Self.text) }
        let best = validated.first { $0 == d } ?? validated.first { $0.isSubdomain(of: d) } ?? validated.first
        return best.map(Self.text)
    }

    /// The explanation of a `fail` (6.2): the TXT record at the expanded `exp=` target, itself a macro string;
    /// nothing when the lookup fails, finds no or several records, or the text is not a macro string.
    func explanation(_ exp: MacroString, _ st: inout State) async -> String? {
        guard let t = try? await expand(exp, &st), let name = Self.name(t, truncate: true) else { return nil }
        guard case .records(let rs) = await resolver.lookup(name, .txt) else { return nil }
        let texts = rs.compactMap { if case .txt(let t) = $0 { t.joined } else { nil } }
        guard texts.count == 1, let m = try? MacroString(parsing: texts[0], explanation: true) else { return nil }
        return m.expand(st.context)
    }
}
