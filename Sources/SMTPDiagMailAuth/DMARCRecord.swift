/// A DMARC policy record (RFC 7489 6.3): `v=DMARC1` first and exactly so, then `p` (required), `sp`, `pct`,
/// `adkim`, `aspf`, `rua`, `ruf`, `fo`, `rf`, `ri`; unknown tags ignored, a tag twice invalid.
public struct DMARCRecord: Sendable, Hashable, CustomStringConvertible {
    public enum Policy: String, Sendable, Hashable, CaseIterable, Comparable {
        case none, quarantine, reject

        /// How much a receiver is asked to do with failing mail: none < quarantine < reject.
        var strength: Int {
            switch self {
            case .none: return 0
            case .quarantine: return 1
            case .reject: return 2
            }
        }

        public static func < (a: Policy, b: Policy) -> Bool { a.strength < b.strength }
    }

    public enum Alignment: String, Sendable, Hashable {
        case relaxed = "r"
        case strict = "s"
    }

    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        /// Not a DMARC record: it does not start with `v=DMARC1`.
        case notDMARC
        case tagList(TagList.Problem)
        case missingPolicy
        case badValue(tag: String, value: String, expected: String)

        public var description: String {
            switch self {
            case .notDMARC: return "it does not start with v=DMARC1"
            case .tagList(let p): return "\(p)"
            case .missingPolicy:
                return "no p= tag (RFC 7489 6.3: required; receivers may treat the record as p=none)"
            case .badValue(let tag, let value, let expected): return "\(tag)=\(value): expected \(expected)"
            }
        }
    }

    public let policy: Policy
    /// `sp`, when the record says it.
    public let subdomainPolicy: Policy?
    public let pct: Int
    public let dkimAlignment: Alignment
    public let spfAlignment: Alignment
    public let rua: [String]
    public let ruf: [String]

    /// The policy for subdomains: `sp`, else `p` (RFC 7489 6.3).
    public var effectiveSubdomainPolicy: Policy { subdomainPolicy ?? policy }

    /// Whether a TXT string is meant as a DMARC record (RFC 7489 6.6.3: the others at `_dmarc` are discarded).
    public static func isDMARC(_ text: String) -> Bool {
        let t = text.drop { $0 == " " || $0 == "\t" }
        guard t.hasPrefix("v") else { return false }
        let rest = t.dropFirst().drop { $0 == " " || $0 == "\t" }
        guard rest.hasPrefix("=") else { return false }
        let value = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
        guard value.hasPrefix("DMARC1") else { return false }
        let after = value.dropFirst(6).drop { $0 == " " || $0 == "\t" }
        return after.isEmpty || after.hasPrefix(";")
    }

    public init(parsing text: String) throws(Problem) {
        guard Self.isDMARC(text) else { throw .notDMARC }
        let list: TagList
        do {
            list = try TagList(parsing: text)
        } catch {
            throw .tagList(error)
        }
        guard list.tags.first?.name == "v", list.tags.first?.value == "DMARC1" else { throw .notDMARC }
        func policy(_ tag: String) throws(Problem) -> Policy? {
            guard let v = list[tag] else { return nil }
            guard let p = Policy(rawValue: v.lowercased()) else {
                throw .badValue(tag: tag, value: v, expected: "none, quarantine or reject")
            }
            return p
        }
        func alignment(_ tag: String) throws(Problem) -> Alignment {
            guard let v = list[tag] else { return .relaxed }
            guard let a = Alignment(rawValue: v.lowercased()) else {
                throw .badValue(tag: tag, value: v, expected: "r or s")
            }
            return a
        }
        guard let p = try policy("p") else { throw .missingPolicy }
        self.policy = p
        self.subdomainPolicy = try policy("sp")
        if let v = list["pct"] {
            guard let n = Int(v), (0...100).contains(n), v.allSatisfy(\.isNumber) else {
                throw .badValue(tag: "pct", value: v, expected: "a whole number 0 to 100")
            }
            pct = n
        } else {
            pct = 100
        }
        dkimAlignment = try alignment("adkim")
        spfAlignment = try alignment("aspf")
        func uris(_ tag: String) throws(Problem) -> [String] {
            guard let v = list[tag] else { return [] }
            // RFC 7489 6.4: comma-separated URIs, each with an optional `!size`.
            let list = v.split(separator: ",", omittingEmptySubsequences: false).map { String(TagList.trimmed($0)) }
            for uri in list where !uri.contains(":") || uri.contains(" ") {
                throw .badValue(
                    tag: tag, value: v, expected: "comma-separated URIs such as mailto:reports@example.test")
            }
            return list
        }
        rua = try uris("rua")
        ruf = try uris("ruf")
    }

    public var description: String {
        var parts = ["p=\(policy.rawValue)"]
        if let subdomainPolicy { parts.append("sp=\(subdomainPolicy.rawValue)") }
        parts.append("pct=\(pct)")
        parts.append("adkim=\(dkimAlignment.rawValue)")
        parts.append("aspf=\(spfAlignment.rawValue)")
        if !rua.isEmpty { parts.append("rua=\(rua.joined(separator: ","))") }
        return parts.joined(separator: " ")
    }
}
