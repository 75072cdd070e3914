/// A domain name, held in uncompressed wire form (length-prefixed labels ending with the root's 0).
///
/// Equality and hashing ignore ASCII case (RFC 4343); `description` is the presentation format with
/// `\.`, `\\` and `\DDD` escapes (RFC 1035 §5.1), always fully qualified.
public struct DomainName: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public static let maxWireLength = 255
    public static let maxLabelLength = 63
    /// Enough pointers for any legal name (one per label of a 255-octet name), as miekg/dns allows.
    public static let maxPointers = 126

    /// Uncompressed wire form, always ending with 0.
    public let wire: [UInt8]

    public static let root = DomainName(uncheckedWire: [0])

    init(uncheckedWire: [UInt8]) {
        self.wire = uncheckedWire
    }

    /// Builds a name from its labels.
    public init(labels: [[UInt8]]) throws(DNSWireError) {
        var wire: [UInt8] = []
        for label in labels {
            guard !label.isEmpty else {
                throw .presentation(field: "name", text: "", reason: "empty label")
            }
            guard label.count <= Self.maxLabelLength else {
                throw .presentation(
                    field: "name", text: String(decoding: label, as: UTF8.self),
                    reason: "label of \(label.count) octets (at most 63)")
            }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        wire.append(0)
        guard wire.count <= Self.maxWireLength else {
            throw .presentation(field: "name", text: "", reason: "name of \(wire.count) octets (at most 255)")
        }
        self.wire = wire
    }

    public init(stringLiteral value: String) {
        do {
            self = try DomainName(parsing: value)
        } catch {
            preconditionFailure("invalid DomainName literal \(value): \(error)")
        }
    }

    public var isRoot: Bool { wire.count == 1 }

    /// The labels, leftmost first, without the root.
    public var labels: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var i = 0
        while wire[i] != 0 {
            let n = Int(wire[i])
            result.append(wire[(i + 1)..<(i + 1 + n)])
            i += 1 + n
        }
        return result
    }

    public var labelCount: Int { labels.count }

    /// The wire form with ASCII letters lowered, for comparison and compression.
    public var foldedWire: [UInt8] {
        var out = wire
        var i = 0
        while out[i] != 0 {
            let n = Int(out[i])
            for j in (i + 1)..<(i + 1 + n) where out[j] >= 0x41 && out[j] <= 0x5A { out[j] |= 0x20 }
            i += 1 + n
        }
        return out
    }

    public static func == (lhs: DomainName, rhs: DomainName) -> Bool {
        guard lhs.wire.count == rhs.wire.count else { return false }
        for (a, b) in zip(lhs.wire, rhs.wire) where a != b {
            if Self.fold(a) != Self.fold(b) { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Eight folded octets a word: a byte a `combine` was a visible share of a fleet run's time.
        var word: UInt64 = 0
        var n = 0
        for b in wire {
            word = word << 8 | UInt64(Self.fold(b))
            n += 1
            if n == 8 {
                hasher.combine(word)
                word = 0
                n = 0
            }
        }
        hasher.combine(word)
    }

    /// Canonical DNS name order (RFC 4034 §6.1): by labels from the right, case-folded.
    public static func < (lhs: DomainName, rhs: DomainName) -> Bool {
        let l = lhs.labels.reversed().map { $0.map(fold) }
        let r = rhs.labels.reversed().map { $0.map(fold) }
        for (a, b) in zip(l, r) where a != b { return a.lexicographicallyPrecedes(b) }
        return l.count < r.count
    }

    @inline(__always) static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// Whether `self` is `other` or below it.
    public func isSubdomain(of other: DomainName) -> Bool {
        let mine = labels.map { $0.map(Self.fold) }
        let theirs = other.labels.map { $0.map(Self.fold) }
        guard theirs.count <= mine.count else { return false }
        return Array(mine.suffix(theirs.count)) == theirs
    }

    /// `self` followed by `origin` (for relative names).
    public func appending(_ origin: DomainName) throws(DNSWireError) -> DomainName {
        try DomainName(labels: labels.map(Array.init) + origin.labels.map(Array.init))
    }

    /// The name without its leftmost label; the root stays the root.
    public var parent: DomainName {
        guard !isRoot else { return self }
        return DomainName(uncheckedWire: Array(wire[(Int(wire[0]) + 1)...]))
    }

    // MARK: - Presentation format

    public var description: String {
        if isRoot { return "." }
        // Written octet by octet into the string's own storage (at most "\DDD" for each): appending
        // characters one at a time was a visible share of a fleet run.
        return String(unsafeUninitializedCapacity: wire.count * 4) { out in
            var n = 0
            var i = 0
            while wire[i] != 0 {
                let length = Int(wire[i])
                i += 1
                for b in wire[i..<(i + length)] {
                    switch b {
                    case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "("),
                        UInt8(ascii: ")"),
                        UInt8(ascii: ";"), UInt8(ascii: "@"), UInt8(ascii: "$"):
                        out[n] = UInt8(ascii: "\\")
                        out[n + 1] = b
                        n += 2
                    case 0x21...0x7E:
                        out[n] = b
                        n += 1
                    default:
                        out[n] = UInt8(ascii: "\\")
                        out[n + 1] = UInt8(ascii: "0") + b / 100
                        out[n + 2] = UInt8(ascii: "0") + b / 10 % 10
                        out[n + 3] = UInt8(ascii: "0") + b % 10
                        n += 4
                    }
                }
                i += length
                out[n] = UInt8(ascii: ".")
                n += 1
            }
            return n
        }
    }

    /// Parses presentation format. A name that does not end in an unescaped "." is relative and gets
    /// `origin` appended (the root when there is none); `"@"` is the origin itself.
    public init(parsing text: String, origin: DomainName? = nil) throws(DNSWireError) {
        if text == "@" {
            self = origin ?? .root
            return
        }
        if text == "." {
            self = .root
            return
        }
        guard !text.isEmpty else { throw .presentation(field: "name", text: text, reason: "empty name") }
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        var absolute = false
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else {
                    throw .presentation(field: "name", text: text, reason: "dangling backslash")
                }
                let d = bytes[i + 1]
                if d >= 0x30 && d <= 0x39 {
                    guard i + 3 < bytes.count else {
                        throw .presentation(field: "name", text: text, reason: "\\DDD needs three digits")
                    }
                    let digits = bytes[(i + 1)...(i + 3)]
                    guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                        throw .presentation(field: "name", text: text, reason: "\\DDD needs three digits")
                    }
                    let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                    guard value <= 255 else {
                        throw .presentation(field: "name", text: text, reason: "\\\(value) is over 255")
                    }
                    current.append(UInt8(value))
                    i += 4
                } else {
                    current.append(d)
                    i += 2
                }
                continue
            }
            if c == UInt8(ascii: ".") {
                guard !current.isEmpty else {
                    throw .presentation(field: "name", text: text, reason: "empty label")
                }
                labels.append(current)
                current = []
                if i == bytes.count - 1 { absolute = true }
                i += 1
                continue
            }
            current.append(c)
            i += 1
        }
        if !current.isEmpty { labels.append(current) }
        for label in labels where label.count > Self.maxLabelLength {
            throw .presentation(
                field: "name", text: text, reason: "label of \(label.count) octets (at most 63)")
        }
        if !absolute, let origin { labels += origin.labels.map(Array.init) }
        do {
            self = try DomainName(labels: labels)
        } catch {
            throw .presentation(field: "name", text: text, reason: "longer than 255 octets")
        }
    }
}
