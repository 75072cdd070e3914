/// Helpers for the presentation (zone file) format of RFC 1035 §5.1 and RFC 3597 §5.
public enum Presentation {
    /// One whitespace-separated field; `quoted` when it was written in double quotes.
    public struct Token: Hashable, Sendable {
        /// The text with its escapes still in place (names parse them themselves).
        public var raw: String
        public var quoted: Bool
    }

    /// Splits RDATA text into fields, keeping `"quoted strings"` (with escaped quotes) together.
    public static func tokenize(_ text: String, field: String) throws(DNSWireError) -> [Token] {
        var tokens: [Token] = []
        var current: [UInt8] = []
        var inQuotes = false
        var quotedToken = false
        var i = 0
        let bytes = Array(text.utf8)
        func flush() {
            if !current.isEmpty || quotedToken {
                tokens.append(Token(raw: String(decoding: current, as: UTF8.self), quoted: quotedToken))
            }
            current = []
            quotedToken = false
        }
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else {
                    throw .presentation(field: field, text: text, reason: "dangling backslash")
                }
                current.append(c)
                current.append(bytes[i + 1])
                i += 2
                continue
            }
            if c == UInt8(ascii: "\"") {
                if inQuotes {
                    inQuotes = false
                    flush()
                } else {
                    flush()
                    inQuotes = true
                    quotedToken = true
                }
                i += 1
                continue
            }
            if !inQuotes && (c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D) {
                flush()
                i += 1
                continue
            }
            current.append(c)
            i += 1
        }
        guard !inQuotes else { throw .presentation(field: field, text: text, reason: "unterminated quote") }
        flush()
        return tokens
    }

    /// The bytes of a <character-string> token: escapes `\X` and `\DDD` resolved.
    public static func characterString(_ token: Token, field: String) throws(DNSWireError) -> [UInt8] {
        let out = try unescape(token.raw, field: field)
        guard out.count <= 255 else {
            throw .presentation(field: field, text: token.raw, reason: "string of \(out.count) octets (at most 255)")
        }
        return out
    }

    /// Resolves `\X` and `\DDD` escapes, with no length limit.
    public static func unescape(_ raw: String, field: String) throws(DNSWireError) -> [UInt8] {
        let bytes = Array(raw.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else {
                    throw .presentation(field: field, text: raw, reason: "dangling backslash")
                }
                let d = bytes[i + 1]
                if d >= 0x30 && d <= 0x39 {
                    guard i + 3 < bytes.count,
                        bytes[(i + 1)...(i + 3)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
                    else { throw .presentation(field: field, text: raw, reason: "\\DDD needs three digits") }
                    let v = bytes[(i + 1)...(i + 3)].reduce(0) { $0 * 10 + Int($1 - 0x30) }
                    guard v <= 255 else {
                        throw .presentation(field: field, text: raw, reason: "\\\(v) is over 255")
                    }
                    out.append(UInt8(v))
                    i += 4
                } else {
                    out.append(d)
                    i += 2
                }
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// A <character-string> in double quotes, with `"` and `\` escaped and non-printable octets as `\DDD`.
    public static func quoted(_ bytes: some Sequence<UInt8>) -> String {
        var out = "\""
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append("\\")
                out.append(Character(Unicode.Scalar(b)))
            case 0x20...0x7E:
                out.append(Character(Unicode.Scalar(b)))
            default:
                let s = String(b)
                out.append("\\" + String(repeating: "0", count: 3 - s.count) + s)
            }
        }
        out.append("\"")
        return out
    }

    public static func integer<T: FixedWidthInteger & UnsignedInteger>(
        _ token: Token, as: T.Type, field: String
    ) throws(DNSWireError) -> T {
        guard !token.quoted, let v = T(token.raw) else {
            throw .presentation(field: field, text: token.raw, reason: "expected an integer 0...\(T.max)")
        }
        return v
    }

    public static func name(_ token: Token, origin: DomainName?, field: String) throws(DNSWireError) -> DomainName {
        do {
            return try DomainName(parsing: token.raw, origin: origin)
        } catch {
            if case .presentation(_, _, let reason) = error {
                throw .presentation(field: field, text: token.raw, reason: reason)
            }
            throw error
        }
    }

    /// Throws unless there are exactly `count` fields (at least `count` when `orMore`: hex and base64
    /// data may be split into several fields).
    public static func expect(
        _ tokens: [Token], count: Int, orMore: Bool = false, field: String, form: String
    ) throws(DNSWireError) {
        guard tokens.count == count || (orMore && tokens.count > count) else {
            let text = tokens.map(\.raw).joined(separator: " ")
            throw .presentation(
                field: field, text: text, reason: "expected \(count) field(s): \(form); found \(tokens.count)")
        }
    }

    // MARK: - Hex and base64

    static let hexDigits = Array("0123456789ABCDEF".utf8)

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func hexBytes(_ text: String, field: String) throws(DNSWireError) -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8? = nil
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x41...0x46: v = c - 0x41 + 10
            case 0x61...0x66: v = c - 0x61 + 10
            default: throw .presentation(field: field, text: text, reason: "not hexadecimal")
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        guard high == nil else { throw .presentation(field: field, text: text, reason: "odd number of hex digits") }
        return out
    }

    static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for s in [18, 12, 6, 0] { out.append(base64Alphabet[Int((n >> UInt32(s)) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(base64Alphabet[Int((n >> 18) & 63)])
            out.append(base64Alphabet[Int((n >> 12) & 63)])
            out.append(rest == 2 ? base64Alphabet[Int((n >> 6) & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func base64Bytes(_ text: String, field: String) throws(DNSWireError) -> [UInt8] {
        var values: [UInt8] = []
        var padding = 0
        for c in text.utf8 {
            switch c {
            case 0x41...0x5A: values.append(c - 0x41)
            case 0x61...0x7A: values.append(c - 0x61 + 26)
            case 0x30...0x39: values.append(c - 0x30 + 52)
            case UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "/"): values.append(63)
            case UInt8(ascii: "="): padding += 1
            default: throw .presentation(field: field, text: text, reason: "not base64")
            }
            if padding > 0 && c != UInt8(ascii: "=") {
                throw .presentation(field: field, text: text, reason: "base64 data after padding")
            }
        }
        guard (values.count + padding) % 4 == 0, padding <= 2 else {
            throw .presentation(field: field, text: text, reason: "base64 length is not a multiple of 4")
        }
        var out: [UInt8] = []
        var i = 0
        while i < values.count {
            let chunk = values[i..<min(i + 4, values.count)]
            var n: UInt32 = 0
            for (k, v) in chunk.enumerated() { n |= UInt32(v) << UInt32(18 - 6 * k) }
            let produced = chunk.count - 1
            for k in 0..<produced { out.append(UInt8((n >> UInt32(16 - 8 * k)) & 0xFF)) }
            i += 4
        }
        return out
    }

    // MARK: - Addresses

    public static func ipv4(_ text: String, field: String) throws(DNSWireError) -> [UInt8] {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            throw .presentation(field: field, text: text, reason: "expected an IPv4 address a.b.c.d")
        }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let v = UInt8(p),
                p.count == 1 || p.first != "0"
            else { throw .presentation(field: field, text: text, reason: "expected an IPv4 address a.b.c.d") }
            out.append(v)
        }
        return out
    }

    public static func ipv6(_ text: String, field: String) throws(DNSWireError) -> [UInt8] {
        let bad = DNSWireError.presentation(field: field, text: text, reason: "expected an IPv6 address")
        var head: [UInt16] = []
        var tail: [UInt16] = []
        let u = Array(text.utf8)
        var gapAt: Int? = nil
        if u.count >= 2 {
            for k in 0..<(u.count - 1) where u[k] == UInt8(ascii: ":") && u[k + 1] == UInt8(ascii: ":") {
                guard gapAt == nil else { throw bad }
                gapAt = k
            }
        }
        let sawGap = gapAt != nil
        let halves: [String] =
            gapAt.map { [String(decoding: u[..<$0], as: UTF8.self), String(decoding: u[($0 + 2)...], as: UTF8.self)] }
            ?? [text]
        func groups(_ s: String, allowV4: Bool) throws(DNSWireError) -> [UInt16] {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in parts.enumerated() {
                if allowV4 && i == parts.count - 1 && p.contains(".") {
                    let v4 = try ipv4(String(p), field: field)
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                } else {
                    guard !p.isEmpty, p.count <= 4, let v = UInt16(p, radix: 16) else { throw bad }
                    out.append(v)
                }
            }
            return out
        }
        if sawGap {
            head = try groups(halves[0], allowV4: false)
            tail = try groups(halves[1], allowV4: true)
            guard head.count + tail.count <= 7 else { throw bad }
        } else {
            head = try groups(halves[0], allowV4: true)
            guard head.count == 8 else { throw bad }
        }
        let all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        var out: [UInt8] = []
        for g in all {
            out.append(UInt8(g >> 8))
            out.append(UInt8(g & 0xFF))
        }
        return out
    }

    /// RFC 5952 text: lower case, leading zeros dropped, the longest run of two or more zero groups as `::`.
    public static func formatIPv6(_ b: [UInt8]) -> String {
        let groups = (0..<8).map { UInt16(b[2 * $0]) << 8 | UInt16(b[2 * $0 + 1]) }
        var bestStart = -1
        var bestLength = 1
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}
