import Foundation
import SMTPDiagDNSWire

/// Values shared by many keys: numbers, record sets and their values, `records` entries.
extension SpecReader {
    /// An integer, or `{min, max}`.
    mutating func readNumber(_ node: YNode, _ path: String, range: ClosedRange<Int64>, what: String)
        -> NumberExpectation?
    {
        if case .mapping = node {
            guard let pairs = walker.mapping(node, path, known: SpecKeys.range, what: "{min, max}") else { return nil }
            var lo: Int64? = nil
            var hi: Int64? = nil
            for (key, _, v) in pairs {
                let n = walker.integer(v, join(path, key), range: range, what: what)
                if key == "min" { lo = n } else { hi = n }
            }
            if pairs.isEmpty { walker.error(node, path, "empty range", expected: "min, max or both") }
            if let lo, let hi, lo > hi { walker.error(node, path, "min \(lo) is greater than max \(hi)") }
            return .range(min: lo, max: hi)
        }
        return walker.integer(node, path, range: range, what: "\(what) or {min, max}").map { .exact($0) }
    }

    /// A record set: a list (the exact set) or a mapping of equals/contains/excludes/count/absent/ttl.
    mutating func readRecordSet(_ node: YNode, _ path: String, type: RecordType, origin: DomainName)
        -> RecordSetExpectation?
    {
        let location = walker.location(node)
        if case .sequence = node {
            guard let values = readValues(node, path, type: type, origin: origin) else { return nil }
            return RecordSetExpectation(equals: values, location: location)
        }
        guard
            let pairs = walker.mapping(
                node, path, known: SpecKeys.recordSet,
                what: "a list (the exact set) or a mapping of equals, contains, excludes, count, absent, ttl")
        else {
            return nil
        }
        return readRecordSetPairs(pairs, node, path, type: type, origin: origin)
    }

    mutating func readRecordSetPairs(
        _ pairs: [(String, YNode, YNode)], _ node: YNode, _ path: String, type: RecordType, origin: DomainName
    ) -> RecordSetExpectation? {
        var set = RecordSetExpectation(location: walker.location(node))
        var any = false
        for (key, _, v) in pairs {
            let p = join(path, key)
            switch key {
            case "equals": set.equals = readValues(v, p, type: type, origin: origin)
            case "contains": set.contains = readValues(v, p, type: type, origin: origin)
            case "excludes": set.excludes = readValues(v, p, type: type, origin: origin)
            case "count": set.count = readNumber(v, p, range: 0...65535, what: "a number of records")
            case "absent":
                set.absent = walker.bool(v, p) ?? false
                if !set.absent { walker.error(v, p, "`absent: false` says nothing; leave it out") }
            case "ttl": set.ttl = readNumber(v, p, range: 0...Int64(UInt32.max), what: "a TTL in seconds")
            default: continue
            }
            any = true
        }
        if !any && pairs.allSatisfy({ SpecKeys.recordSet.contains($0.0) }) {
            walker.error(node, path, "no expectation", expected: "one of equals, contains, excludes, count, absent")
        }
        if set.absent && (set.equals != nil || set.contains != nil || set.count != nil) {
            walker.error(node, path, "`absent: true` cannot be combined with equals, contains or count")
        }
        return set
    }

    /// Presentation-format values of one type: `"10 mx1"` parses as an MX relative to the domain.
    mutating func readValues(_ node: YNode, _ path: String, type: RecordType, origin: DomainName) -> [RData]? {
        guard let list = walker.sequence(node, path, what: "a list of \(type) values") else { return nil }
        var out: [RData] = []
        for (i, item) in list.enumerated() {
            let p = "\(path)[\(i)]"
            guard let text = walker.string(item, p, what: "a \(type) value in presentation format") else { continue }
            // TXT: the YAML string is the text itself ("v=spf1 mx -all" is one record, not three words);
            // a value that starts with a double quote is zone-file form, for several strings.
            if type == .txt && !text.hasPrefix("\"") {
                let bytes = Array(text.utf8)
                let chunks = stride(from: 0, to: max(bytes.count, 1), by: 255).map {
                    Array(bytes[$0..<min(bytes.count, $0 + 255)])
                }
                out.append(.txt(TXT(strings: chunks)))
                continue
            }
            do {
                out.append(try RData(type: type, presentation: text, origin: origin))
            } catch {
                var reason = "\(error)"
                if case .presentation(_, _, let r) = error { reason = r }
                walker.error(
                    item, p, "not a valid \(type) value (\(reason))", expected: Self.form(of: type),
                    found: YAMLWalker.describe(item))
            }
        }
        return out
    }

    static func form(of type: RecordType) -> String {
        switch type {
        case .mx: return "\"PREFERENCE EXCHANGE\", e.g. \"10 mx1\""
        case .ns, .cname, .ptr: return "a name, e.g. ns1 or ns1.example.net."
        case .a: return "an IPv4 address"
        case .aaaa: return "an IPv6 address"
        case .txt: return "a string"
        case .tlsa: return "\"USAGE SELECTOR MATCHING-TYPE HEX\", e.g. \"3 1 1 0C72...\""
        case .soa: return "\"MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM\""
        case .srv: return "\"PRIORITY WEIGHT PORT TARGET\""
        case .caa: return "FLAGS TAG \"VALUE\""
        default: return "\(type) presentation format, or \\# LENGTH HEX"
        }
    }

    mutating func readRecord(_ node: YNode, _ path: String, origin: DomainName) -> RecordExpectation? {
        guard
            let pairs = walker.mapping(
                node, path, known: SpecKeys.record, what: "a mapping with name, type and an expectation")
        else {
            return nil
        }
        var name: DomainName? = nil
        var written = ""
        var type: RecordType? = nil
        var rest: [(String, YNode, YNode)] = []
        for (key, k, v) in pairs {
            let p = join(path, key)
            switch key {
            case "name":
                guard let s = walker.string(v, p, what: "a name relative to the domain, @ for the apex") else {
                    continue
                }
                written = s
                name = domainName(s, v, p, origin: origin)
            case "type":
                guard let s = walker.string(v, p, what: "a record type") else { continue }
                if let t = RecordType(s), t != .opt, t != .any, t != .axfr, t != .ixfr {
                    type = t
                } else {
                    walker.error(
                        v, p, "unknown record type", expected: "A, AAAA, MX, TXT, TLSA, ... or TYPEnnn",
                        found: YAMLWalker.describe(v),
                        suggestion: nearest(s.uppercased(), in: RecordType.knownNames))
                }
            default:
                rest.append((key, k, v))
            }
        }
        if !pairs.contains(where: { $0.0 == "name" }) {
            walker.error(
                node, join(path, "name"), "missing key `name`",
                expected: "a name relative to the domain, @ for the apex")
        }
        if !pairs.contains(where: { $0.0 == "type" }) {
            walker.error(node, join(path, "type"), "missing key `type`", expected: "a record type")
        }
        guard let name, let type else { return nil }
        guard let set = readRecordSetPairs(rest, node, path, type: type, origin: origin) else { return nil }
        return RecordExpectation(
            name: name, writtenName: written, type: type, set: set, location: walker.location(node))
    }
}
