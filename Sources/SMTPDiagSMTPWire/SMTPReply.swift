/// One SMTP reply (RFC 5321 §4.2): a code and one or more lines of text. Every line is kept: EHLO
/// keywords live in the lines after the first.
public struct SMTPReply: Hashable, Sendable, CustomStringConvertible {
    public var code: Int
    /// The text of each line, after `250-` or `250 `.
    public var lines: [String]
    /// The RFC 3463 enhanced status code at the start of the first line, e.g. `5.1.1`.
    public var enhanced: String?
    /// Some line ended with a bare LF instead of CRLF (tolerated, noted).
    public var bareLF: Bool

    public init(code: Int, lines: [String], bareLF: Bool = false) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines
        self.bareLF = bareLF
        self.enhanced = Self.enhancedCode(in: self.lines[0], code: code)
    }

    public var text: String { lines.joined(separator: " ") }

    /// The EHLO keywords (RFC 5321 §4.1.1.1): the first word of each line after the greeting, upper-cased.
    public var ehloKeywords: [String] {
        lines.dropFirst().compactMap { $0.split(separator: " ").first.map { $0.uppercased() } }
    }

    /// As it came on the wire, one line a reply line.
    public var description: String {
        lines.enumerated().map { i, l in "\(code)\(i == lines.count - 1 ? " " : "-")\(l)" }.joined(separator: "\n")
    }

    /// RFC 3463 §2: `class.subject.detail`, where class matches the reply's first digit (RFC 2034 §4).
    static func enhancedCode(in text: String, code: Int) -> String? {
        guard let word = text.split(separator: " ", maxSplits: 1).first else { return nil }
        let parts = word.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let c = Int(parts[0]), c == code / 100, [2, 4, 5].contains(c)
        else { return nil }
        return String(word)
    }
}

/// What can be wrong with what a server sends. The session ends with it; nothing is read further.
public enum SMTPProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    case lineTooLong(limit: Int)
    case tooManyLines(limit: Int)
    case replyTooLarge(limit: Int)
    case malformedLine(String)
    case inconsistentCode(first: Int, then: Int)

    public var description: String {
        switch self {
        case .lineTooLong(let n): return "a reply line longer than \(n) octets"
        case .tooManyLines(let n): return "a reply of more than \(n) lines"
        case .replyTooLarge(let n): return "a reply larger than \(n) octets"
        case .malformedLine(let l): return "not an SMTP reply line: \"\(l)\""
        case .inconsistentCode(let a, let b): return "a multi-line reply changed its code from \(a) to \(b)"
        }
    }
}
