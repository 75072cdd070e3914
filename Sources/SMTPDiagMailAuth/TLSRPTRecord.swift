/// A TLS-RPT policy record (RFC 8460 3) at `_smtp._tls.DOMAIN`: `v=TLSRPTv1` first and exactly so, then `rua=`
/// with one or more `mailto:` or `https:` URIs separated by commas, and extension fields; fields separated by
/// `;` with white space around it allowed.
public struct TLSRPTRecord: Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        case notTLSRPT
        case field(String)
        case duplicate(String)
        case noRUA
        case uri(String)

        public var description: String {
            switch self {
            case .notTLSRPT: return "it does not start with v=TLSRPTv1"
            case .field(let f): return "not a field: \"\(f)\""
            case .duplicate(let f): return "\(f)= appears twice"
            case .noRUA: return "no rua= (RFC 8460 3: required)"
            case .uri(let u): return "\"\(u)\" is not a mailto: or https: URI"
            }
        }
    }

    /// The report destinations, as written.
    public let rua: [String]

    public var description: String { "v=TLSRPTv1; rua=\(rua.joined(separator: ","))" }

    /// Whether a TXT string is meant as a TLS-RPT record (the others at `_smtp._tls` are discarded, RFC 8460 3).
    public static func isTLSRPT(_ text: String) -> Bool {
        text.hasPrefix("v=TLSRPTv1") && (text.count == 10 || [";", " ", "\t"].contains(text.dropFirst(10).first))
    }

    public init(parsing text: String) throws(Problem) {
        guard Self.isTLSRPT(text) else { throw .notTLSRPT }
        let fields = text.split(separator: ";", omittingEmptySubsequences: false).map(TagList.trimmed)
        guard fields.first == "v=TLSRPTv1" else { throw .notTLSRPT }
        var seen = Set<String>()
        var rua: [String]?
        for (i, f) in fields.enumerated().dropFirst() {
            // A final ";" is allowed (field-delim at the end).
            if f.isEmpty && i == fields.count - 1 { continue }
            guard let eq = f.firstIndex(of: "=") else { throw .field(String(f)) }
            let name = String(f[..<eq])
            let value = f[f.index(after: eq)...]
            guard (1...32).contains(name.count),
                name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }), !value.isEmpty,
                value.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && $0 != ";" || $0 == " " })
            else { throw .field(String(f)) }
            guard seen.insert(name).inserted else { throw .duplicate(name) }
            if name == "rua" {
                let uris = value.split(separator: ",", omittingEmptySubsequences: false).map {
                    String(TagList.trimmed($0))
                }
                for u in uris {
                    let lower = u.lowercased()
                    guard lower.hasPrefix("mailto:") && u.count > 7 || lower.hasPrefix("https://") && u.count > 8,
                        !u.contains(" ")
                    else { throw .uri(u) }
                }
                rua = uris
            }
        }
        guard let rua else { throw .noRUA }
        self.rua = rua
    }
}
