/// A tag-list (RFC 6376 3.2, which DMARC's RFC 7489 6.4 also uses): `tag=value` pairs separated by `;`, white
/// space around names and values ignored, a final `;` allowed. A tag named twice makes the whole list invalid.
public struct TagList: Sendable, Hashable {
    public struct Tag: Sendable, Hashable {
        public let name: String
        public let value: String
    }

    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        /// A part that is not `name=value`, or a name or value with characters a tag-list does not allow.
        case malformed(String)
        case duplicate(String)

        public var description: String {
            switch self {
            case .empty: return "an empty tag-list"
            case .malformed(let part): return "not a tag=value pair: \"\(part)\""
            case .duplicate(let name): return "the tag \(name) appears twice"
            }
        }
    }

    public let tags: [Tag]

    public init(parsing text: String) throws(Problem) {
        guard !Self.trimmed(Substring(text)).isEmpty else { throw .empty }
        var tags: [Tag] = []
        var seen = Set<String>()
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        for (i, raw) in parts.enumerated() {
            let part = Self.trimmed(raw)
            // A final `;` (and white space after it) is allowed; an empty part anywhere else is not.
            if part.isEmpty {
                if i == parts.count - 1 && i > 0 { continue }
                throw .malformed(String(raw))
            }
            guard let eq = part.firstIndex(of: "=") else { throw .malformed(String(part)) }
            let name = Self.trimmed(part[..<eq])
            let value = Self.trimmed(part[part.index(after: eq)...])
            guard let first = name.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII,
                name.unicodeScalars.allSatisfy({
                    $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_")
                }),
                value.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) || $0 == " " || $0 == "\t" })
            else { throw .malformed(String(part)) }
            guard seen.insert(String(name)).inserted else { throw .duplicate(String(name)) }
            tags.append(Tag(name: String(name), value: String(value)))
        }
        guard !tags.isEmpty else { throw .empty }
        self.tags = tags
    }

    /// The value of a tag, if the list has it (names compare exactly: tag names are case-sensitive).
    public subscript(_ name: String) -> String? { tags.first { $0.name == name }?.value }

    /// Without the white space (FWS) a tag-list allows around names and values.
    static func trimmed(_ s: Substring) -> Substring {
        var s = s
        while let c = s.first, c == " " || c == "\t" || c == "\r" || c == "\n" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" || c == "\n" { s = s.dropLast() }
        return s
    }
}
