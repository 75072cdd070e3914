#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which checks of a plan run: a shard of it, the checks of some tags, ids matching globs, without SMTP. A
/// selected check brings its prerequisites with it; the rest are reported as skipped with the filter's name.
public struct Selection: Sendable, Hashable {
    /// Shard `index` of `count` (1-based): a deterministic split by domain or route.
    public struct Shard: Sendable, Hashable, CustomStringConvertible {
        public var index: Int
        public var count: Int

        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }

        /// `K/N` with 1 <= K <= N, or nil.
        public init?(parsing text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(k) else {
                return nil
            }
            self.init(index: k, count: n)
        }

        public var description: String { "\(index)/\(count)" }
    }

    public var shard: Shard?
    public var tags: [String]
    /// fnmatch(3) globs over check ids.
    public var only: [String]
    public var skipSMTP: Bool

    public init(shard: Shard? = nil, tags: [String] = [], only: [String] = [], skipSMTP: Bool = false) {
        self.shard = shard
        self.tags = tags
        self.only = only
        self.skipSMTP = skipSMTP
    }

    /// Every check, unfiltered.
    public var isEverything: Bool { shard == nil && tags.isEmpty && only.isEmpty && !skipSMTP }

    /// What a shard keeps together: a check's domain, or its route (a check and its prerequisites share it).
    public static func group(_ c: Check) -> String {
        if case .route(let r) = c.id.subject { return "route[\(r)]" }
        return c.domain.description
    }

    public static func glob(_ pattern: String, _ text: String) -> Bool { fnmatch(pattern, text, 0) == 0 }

    /// Why the filters (not the shard) leave `c` out, or nil.
    func reason(_ c: Check) -> String? {
        if skipSMTP && c.kind.isSMTP { return "filtered out (--skip smtp)" }
        if !only.isEmpty && !only.contains(where: { Self.glob($0, c.id.rawValue) }) { return "filtered out (--only)" }
        if !tags.isEmpty && Set(c.tags).isDisjoint(with: tags) { return "filtered out (--tag)" }
        return nil
    }

    /// The checks that run, and those of the shard that the filters leave out with the reason. Checks of other
    /// shards are in neither.
    public func apply(to plan: CheckPlan) -> (run: CheckPlan, skipped: [(Check, String)]) {
        // Nothing to filter: the plan as it is (a filtered copy of a large plan is tens of megabytes).
        if isEverything { return (plan, []) }
        var checks = plan.checks
        if let shard {
            let groups = Array(Set(checks.map(Self.group))).sorted()
            let mine = Set(groups.enumerated().filter { $0.offset % shard.count == shard.index - 1 }.map(\.element))
            checks = checks.filter { mine.contains(Self.group($0)) }
        }
        var reasons: [CheckID: String] = [:]
        for c in checks { if let r = reason(c) { reasons[c.id] = r } }
        // A selected check brings its prerequisites with it.
        let byID = Dictionary(checks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var stack = checks.filter { reasons[$0.id] == nil }.flatMap(\.dependencies)
        while let d = stack.popLast() {
            if reasons.removeValue(forKey: d) != nil, let c = byID[d] { stack += c.dependencies }
        }
        return (
            CheckPlan(checks: checks.filter { reasons[$0.id] == nil }),
            checks.compactMap { c in reasons[c.id].map { (c, $0) } }
        )
    }

    /// Why the filters select nothing at all in the whole plan (a run that checks nothing must not pass), or
    /// nil. An empty shard is not this: the filters may select checks in other shards.
    public func emptiness(of full: CheckPlan) -> String? {
        guard !tags.isEmpty || !only.isEmpty || skipSMTP, !full.checks.isEmpty else { return nil }
        guard !full.checks.contains(where: { reason($0) == nil }) else { return nil }
        var filters: [String] = tags.map { "--tag \($0)" } + only.map { "--only '\($0)'" }
        if skipSMTP { filters.append("--skip smtp") }
        return "no check of the \(full.checks.count) planned is selected by " + filters.joined(separator: " ")
    }
}
