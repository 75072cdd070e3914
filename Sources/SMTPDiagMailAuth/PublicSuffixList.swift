/// The Public Suffix List (publicsuffix.org; Debian's `publicsuffix` package ships it) and the organizational
/// domain it gives (RFC 7489 3.2): the public suffix of a name plus one label. Rules, `*.` wildcards and `!`
/// exceptions as the list's format defines them; a name no rule matches has a one-label suffix (the `*` rule).
public struct PublicSuffixList: Sendable, Hashable {
    /// Where Debian's `publicsuffix` package puts the list.
    public static let debianPath = "/usr/share/publicsuffix/public_suffix_list.dat"
    /// A list bigger than this is not a public suffix list (Debian's is about 250 KB).
    public static let maxSize = 8 << 20

    var rules: Set<String> = []
    /// `*.BASE` rules, by BASE.
    var wildcards: Set<String> = []
    var exceptions: Set<String> = []

    public var count: Int { rules.count + wildcards.count + exceptions.count }

    /// Reads the list's text: one rule a line, the first word of it; `//` comments and blank lines skipped.
    public init(text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            let word = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
            guard !word.isEmpty, !word.hasPrefix("//"), word.utf8.count <= 253 else { continue }
            let rule = word.lowercased()
            if rule.hasPrefix("!") {
                exceptions.insert(String(rule.dropFirst()))
            } else if rule.hasPrefix("*.") {
                wildcards.insert(String(rule.dropFirst(2)))
            } else if rule != "*" {
                rules.insert(rule)
            }
        }
    }

    /// How many labels (from the right) of `labels` are the public suffix.
    public func suffixLength(_ labels: [String]) -> Int {
        let n = labels.count
        var best = 1
        for i in 0..<n {
            let candidate = labels[i...].joined(separator: ".")
            // An exception rule wins over every other: its suffix is the rule without its leftmost label.
            if exceptions.contains(candidate) { return n - i - 1 }
            if n - i > best
                && (rules.contains(candidate)
                    || (i + 1 < n && wildcards.contains(labels[(i + 1)...].joined(separator: "."))))
            {
                best = n - i
            }
        }
        return best
    }

    /// The organizational domain of `name` (no final dot): its public suffix and one more label; nil when the
    /// name is itself a public suffix.
    public func organizationalDomain(_ name: String) -> String? {
        var t = Substring(name.lowercased())
        if t.hasSuffix(".") { t = t.dropLast() }
        let labels = t.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !labels.isEmpty, labels.allSatisfy({ !$0.isEmpty }) else { return nil }
        let suffix = suffixLength(labels)
        guard suffix < labels.count else { return nil }
        return labels.suffix(suffix + 1).joined(separator: ".")
    }
}

/// Where DMARC policy discovery looks after the domain itself.
public enum DMARCDiscovery: String, Sendable, Hashable, CaseIterable {
    /// RFC 7489 6.6.3: the domain, then its organizational domain (from the Public Suffix List).
    case rfc7489
    /// RFC 9989's DNS tree walk: the domain, then one label less each time (from eight labels or more, straight
    /// to seven), up to and including the top-level domain; at most eight names.
    case rfc9989

    /// The names whose `_dmarc` records are asked, in order (the domain first); nil when the PSL is needed and
    /// the domain has no organizational domain.
    public func targets(_ domain: String, psl: PublicSuffixList?) -> [String] {
        var t = Substring(domain.lowercased())
        if t.hasSuffix(".") { t = t.dropLast() }
        let labels = t.split(separator: ".").map(String.init)
        switch self {
        case .rfc7489:
            guard let psl, let org = psl.organizationalDomain(String(t)), org != String(t) else { return [String(t)] }
            return [String(t), org]
        case .rfc9989:
            var out = [String(t)]
            var current = labels
            while current.count > 1 && out.count < 8 {
                current = current.count >= 8 ? Array(current.suffix(7)) : Array(current.dropFirst())
                out.append(current.joined(separator: "."))
            }
            return out
        }
    }
}
