import SMTPDiagDNSWire

/// Every term an SPF evaluation could reach, walked with nothing matching (the path that queries DNS most):
/// the worst-case lookup and void-lookup counts with the path that goes over the limits, the problems that make
/// some evaluation `permerror`, the terms present and the `all` that ends evaluation.
public struct SPFWalk: Sendable, Hashable {
    public struct Term: Sendable, Hashable, CustomStringConvertible {
        /// The record's domain.
        public let domain: String
        /// The term as written.
        public let text: String
        /// `all`, `include`, ..., `redirect`, `exp`.
        public let name: String
        /// The qualifier of a directive (nil for a modifier).
        public let qualifier: SPFRecord.Qualifier?
        /// How evaluation reached the record: `example.test → include:_spf.example.test`.
        public let path: String
        public var description: String { "\(text) at \(domain) (\(path))" }
    }

    /// Syntax errors, records missing where an include or redirect needs one, several records, loops, an `mx`
    /// with more than 10 names: each makes some evaluation `permerror`.
    public var problems: [String] = []
    /// Whether the domain itself has an SPF record.
    public var found = false
    public var lookups = 0
    public var voidLookups = 0
    /// The term that goes over the lookup limit, and the path to it.
    public var lookupsOverflow: String?
    public var voidsOverflow: String?
    public var terms: [Term] = []
    /// The `all` that ends evaluation (the domain's, or a redirect target's), if any.
    public var finalAll: Term?
    /// Why the walk could not finish (a DNS error: `temperror`); nothing else above is then complete.
    public var error: String?
    /// Each record walked and each void lookup, in order.
    public var trace: [String] = []
}

extension SPFEvaluator {
    /// Walks every term of `domain`'s record and the records it includes or redirects to, matching nothing.
    /// Macros expand with `sender`, `helo` and `client` (whose family decides A or AAAA lookups).
    public func walk(domain: String, sender: String, helo: String, client: SPFAddress) async -> SPFWalk {
        var st = State(
            context: MacroContext(
                sender: Self.sender(sender, helo: helo), domain: domain, client: client, helo: helo), walk: true)
        var out = SPFWalk()
        guard let name = Self.name(domain, truncate: false) else {
            out.problems.append("\(domain) is not a domain name")
            return out
        }
        do {
            out.found = try await walkHost(name, &st, depth: 0, via: Self.text(name), main: true)
        } catch {
            switch error {
            case .temp(let why): out.error = why
            case .perm(let why): st.problems.append(why)
            }
        }
        out.problems = st.problems
        out.lookups = st.lookups
        out.voidLookups = st.voids
        out.lookupsOverflow = st.lookupsOverflow
        out.voidsOverflow = st.voidsOverflow
        out.terms = st.terms
        out.finalAll = st.finalAll
        out.trace = st.trace
        return out
    }

    /// Walks one record; returns whether it exists. `main` is the chain of redirects from the domain itself.
    func walkHost(_ name: DomainName, _ st: inout State, depth: Int, via: String, main: Bool) async throws(Stop)
        -> Bool
    {
        let domain = Self.text(name)
        let path = (st.path + [via]).joined(separator: " → ")
        guard depth <= Self.maxDepth else {
            st.problems.append("more than \(Self.maxDepth) nested records (\(path))")
            return true
        }
        if st.visiting.contains(where: { Self.name($0, truncate: false) == name }) {
            st.problems.append("a loop: \(domain) is reached again from itself (\(path))")
            return true
        }
        guard st.walked < Self.maxWalkedTerms else { return true }
        let record: SPFRecord?
        do {
            record = try await self.record(name, &st)
        } catch {
            guard case .perm(let why) = error else { throw error }
            st.problems.append("\(why) (\(path))")
            return true
        }
        guard let record else {
            st.note("\(domain): no SPF record (\(path))")
            return false
        }
        st.note("\(domain): \(record.text) (\(path))")
        st.visiting.append(domain)
        st.path.append(via)
        let saved = st.context.domain
        st.context.domain = domain
        defer {
            st.visiting.removeLast()
            st.path.removeLast()
            st.context.domain = saved
        }
        func term(_ text: String, _ name: String, _ q: SPFRecord.Qualifier?) -> SPFWalk.Term {
            SPFWalk.Term(domain: domain, text: text, name: name, qualifier: q, path: path)
        }
        func lookup(_ t: SPFWalk.Term) {
            st.lookups += 1
            if st.lookups == maxLookups + 1 {
                st.lookupsOverflow = "\(t.text) at \(domain) is DNS-querying term \(st.lookups) (\(path))"
            }
        }
        func void(_ t: SPFWalk.Term) {
            st.note("\(domain): \(t.text): void lookup \(st.voids + 1)")
            st.voids += 1
            if st.voids == maxVoidLookups + 1 {
                st.voidsOverflow = "\(t.text) at \(domain) is void lookup \(st.voids) (\(path))"
            }
        }
        func target(_ spec: MacroString?) async throws(Stop) -> DomainName? {
            guard let spec else { return name }
            return Self.name(try await expand(spec, &st), truncate: true)
        }
        let client = st.context.client
        for d in record.directives {
            guard st.walked < Self.maxWalkedTerms else {
                st.problems.append("more than \(Self.maxWalkedTerms) terms to walk; the walk stopped (\(path))")
                return true
            }
            st.walked += 1
            let t = term(d.text, d.mechanism.name, d.qualifier)
            st.terms.append(t)
            if d.mechanism.queriesDNS { lookup(t) }
            switch d.mechanism {
            case .all:
                if main { st.finalAll = t }
                // Terms after `all` are never evaluated, and `redirect` is ignored (5.1, 6.1).
                return true
            case .ip4, .ip6:
                break
            case .a(let spec, _, _):
                guard let n = try await target(spec), try await addresses(n, ipv4: client.isIPv4) != nil else {
                    void(t)
                    break
                }
            case .mx(let spec, _, _):
                guard let n = try await target(spec) else {
                    void(t)
                    break
                }
                switch await resolver.lookup(n, .mx) {
                case .error(let why): throw .temp("the MX lookup of \(Self.text(n)) failed: \(why)")
                case .void: void(t)
                case .records(let rs):
                    let count = rs.filter { if case .mx = $0 { true } else { false } }.count
                    if count == 0 { void(t) }
                    if count > Self.maxNames {
                        st.problems.append(
                            "\(d.text) at \(domain): \(count) MX names, more than \(Self.maxNames) (\(path))")
                    }
                }
            case .ptr:
                if case .void = await resolver.lookup(client.reverseName, .ptr) { void(t) }
            case .exists(let spec):
                guard let n = try await target(spec) else {
                    void(t)
                    break
                }
                switch await resolver.lookup(n, .a) {
                case .error(let why): throw .temp("the A lookup of \(Self.text(n)) failed: \(why)")
                case .void: void(t)
                case .records: break
                }
            case .include(let spec):
                let text = try await expand(spec, &st)
                guard let n = Self.name(text, truncate: true) else {
                    st.problems.append("\(d.text) at \(domain) names no domain (\(path))")
                    break
                }
                if try await !walkHost(n, &st, depth: depth + 1, via: "include:\(text)", main: false) {
                    st.problems.append("\(d.text) at \(domain): \(text) has no SPF record (\(path))")
                }
            }
        }
        if let exp = record.exp, st.walked < Self.maxWalkedTerms {
            st.walked += 1
            st.terms.append(term("exp=\(exp)", "exp", nil))
        }
        if let redirect = record.redirect {
            guard st.walked < Self.maxWalkedTerms else {
                st.problems.append("more than \(Self.maxWalkedTerms) terms to walk; the walk stopped (\(path))")
                return true
            }
            st.walked += 1
            let t = term("redirect=\(redirect)", "redirect", nil)
            st.terms.append(t)
            lookup(t)
            let text = try await expand(redirect, &st)
            guard let n = Self.name(text, truncate: true) else {
                st.problems.append("redirect=\(redirect) at \(domain) names no domain (\(path))")
                return true
            }
            if try await !walkHost(n, &st, depth: depth + 1, via: "redirect=\(text)", main: main) {
                st.problems.append("redirect=\(text) at \(domain): the target has no SPF record (\(path))")
            }
        }
        return true
    }
}
