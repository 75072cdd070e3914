import SMTPDiagDNSWire
import SMTPDiagSMTPWire
import SMTPDiagSpec

/// Judges answers against expectations: pure functions, no I/O.
public enum Matchers {
    public struct Verdict: Sendable, Hashable {
        public var pass: Bool
        public var message: String
        public var expected: String?
        public var actual: String?
        public var missing: [String] = []
        public var extra: [String] = []

        public init(
            pass: Bool, message: String, expected: String? = nil, actual: String? = nil, missing: [String] = [],
            extra: [String] = []
        ) {
            self.pass = pass
            self.message = message
            self.expected = expected
            self.actual = actual
            self.missing = missing
            self.extra = extra
        }
    }

    /// A value as compared: TXT by its joined text (a long SPF split across strings is the same record),
    /// everything else by its typed value (names without case).
    enum Key: Hashable {
        case txt([UInt8])
        case other(RData)
        init(_ r: RData) {
            if case .txt(let t) = r { self = .txt(Array(t.strings.joined())) } else { self = .other(r) }
        }
    }

    /// A record set against a record-set expectation (contract "Value forms").
    public static func recordSet(_ actual: [ResourceRecord], _ e: RecordSetExpectation) -> Verdict {
        let values = actual.map(\.rdata)
        let actualKeys = Keys(values)
        let shown = values.map(\.description).sorted()
        let actualText = shown.isEmpty ? "no records" : "[" + shown.joined(separator: ", ") + "]"
        var failures: [String] = []
        var missing: [String] = []
        var extra: [String] = []
        if e.absent && !values.isEmpty {
            failures.append("records exist")
            extra += shown
        }
        if let equals = e.equals {
            let want = Keys(equals)
            let m = equals.filter { !actualKeys.contains($0) }.map(\.description)
            let x = values.filter { !want.contains($0) }.map(\.description)
            if !m.isEmpty || !x.isEmpty { failures.append("the set differs") }
            missing += m
            extra += x
        }
        if let contains = e.contains {
            let m = contains.filter { !actualKeys.contains($0) }.map(\.description)
            if !m.isEmpty { failures.append("values are missing") }
            missing += m
        }
        if let excludes = e.excludes {
            let present = excludes.filter { actualKeys.contains($0) }.map(\.description)
            if !present.isEmpty { failures.append("excluded values are present") }
            extra += present
        }
        if let count = e.count, !count.matches(Int64(values.count)) {
            failures.append("\(values.count) record(s), expected \(count)")
        }
        if let ttl = e.ttl {
            let bad = actual.filter { !ttl.matches(Int64($0.ttl)) }
            if !bad.isEmpty {
                failures.append("TTL out of range: " + bad.map { "\($0.rdata) has \($0.ttl)" }.joined(separator: "; "))
            }
        }
        if failures.isEmpty {
            return Verdict(pass: true, message: actualText, expected: e.text, actual: actualText)
        }
        return Verdict(
            pass: false, message: failures.joined(separator: "; "), expected: e.text, actual: actualText,
            missing: Array(Set(missing)).sorted(), extra: Array(Set(extra)).sorted())
    }

    /// Values' keys to look others up in: a list searched in order while short (most record sets have a
    /// handful of values, and hashing them cost more than comparing), a set beyond.
    struct Keys {
        private let list: [Key]
        private let set: Set<Key>?

        init(_ values: [RData]) {
            list = values.map(Key.init)
            set = list.count > 8 ? Set(list) : nil
        }

        func contains(_ value: RData) -> Bool {
            let k = Key(value)
            if let set { return set.contains(k) }
            return list.contains(k)
        }
    }

    /// A reply against a reply-code expectation.
    /// A reply as the session recorded it, judged.
    static func reply(_ got: SMTPReply, _ e: ReplyExpectation) -> Verdict {
        reply(code: got.code, enhanced: got.enhanced, text: got.text, e)
    }

    public static func reply(code: Int, enhanced: String?, text: String, _ e: ReplyExpectation) -> Verdict {
        // The enhanced code is already the start of the text.
        let actual = "\(code)" + (text.isEmpty ? "" : " \(text)")
        let pass = e.matches(code: code, enhanced: enhanced, text: text)
        return Verdict(pass: pass, message: pass ? actual : "got \(actual)", expected: e.description, actual: actual)
    }

    /// Serial consistency (RFC 1982): every pair within `maxDrift`.
    public static func serials(_ serials: [(String, UInt32)], maxDrift: UInt32) -> Verdict {
        let actual = serials.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
        guard let first = serials.first else {
            return Verdict(pass: false, message: "no serial to compare", expected: "agreeing serials", actual: "none")
        }
        // Spread across all pairs: the distance between the lowest and highest relative to the first.
        // A serial exactly 2^31 from the first has no defined distance (RFC 1982 §3.2): never consistent.
        let offsets = serials.compactMap { SerialNumber.distance(from: first.1, to: $0.1) }
        let undefined = offsets.count < serials.count
        let spread = (offsets.max() ?? 0) - (offsets.min() ?? 0)
        let expected = maxDrift == 0 ? "the same serial everywhere" : "serials within \(maxDrift) of each other"
        if undefined || spread > Int64(maxDrift) {
            let distinct = Set(serials.map(\.1)).sorted()
            return Verdict(
                pass: false,
                message:
                    "SOA serial number match: Failed (\(distinct.map(String.init).joined(separator: " vs ")), drift \(spread))",
                expected: expected, actual: actual)
        }
        return Verdict(
            pass: true, message: "SOA serial number match: Passed (\(first.1))", expected: expected, actual: actual)
    }
}
