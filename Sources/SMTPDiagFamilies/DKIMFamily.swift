import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagMailAuth
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// `dkim`: what the key records at `SELECTOR._domainkey.DOMAIN` mean (RFC 6376 3.6.1, RFC 8301, RFC 8463), one
/// check a selector at every server over every transport (`example.test/dkim[s2025]@internal[127.0.0.10]/udp`):
/// `valid`, `key_type`, `min_bits`, `testing`, `revoked`.
public enum DKIMFamily: CheckFamily {
    public static let key = "dkim"
    static let selectorKeys = ["valid", "key_type", "min_bits", "testing", "revoked"]

    public struct Selector: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        /// `SELECTOR._domainkey.DOMAIN`.
        public let owner: DomainName
        public var valid = false
        public var keyType: DKIMKeyRecord.KeyType?
        public var minBits: Int?
        public var testing: Bool?
        public var revoked: Bool?
        public var location: SourceLocation

        public var description: String {
            var parts: [String] = []
            if valid { parts.append("valid") }
            if let keyType { parts.append("k=\(keyType.rawValue)") }
            if let minBits { parts.append("at least \(minBits) bits") }
            if let testing { parts.append(testing ? "t=y" : "not testing") }
            if let revoked { parts.append(revoked ? "revoked" : "not revoked") }
            return parts.joined(separator: ", ")
        }
    }

    public struct Expectation: FamilyExpectation {
        public var selectors: [Selector] = []
    }

    struct Query: FamilyCheckValue {
        let selector: Selector
        let target: ServerTarget
        let transport: SpecTransport
        var server: ServerTarget? { target }
        var description: String {
            "\(selector.owner) DKIM key at \(target) over \(transport.rawValue): \(selector)"
        }
    }

    public static func schema() -> SchemaFragment {
        let selector = SpecSchema.objectValue([
            "valid": SpecSchema.booleanValue, "key_type": ["enum": DKIMKeyRecord.KeyType.allCases.map(\.rawValue)],
            "min_bits": SpecSchema.integerValue(1, 16384), "testing": SpecSchema.booleanValue,
            "revoked": SpecSchema.booleanValue,
        ])
        return SchemaFragment(
            SpecSchema.objectValue([
                "selectors": ["type": "object", "additionalProperties": selector, "minProperties": 1]
            ]))
    }

    public static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        guard let top = reader.mapping(value, known: ["selectors"], what: "{selectors: {NAME: {...}}}") else {
            return nil
        }
        var e = Expectation()
        for pair in top where pair.key == "selectors" {
            guard let selectors = reader.freeMapping(pair.value, what: "a mapping of selector names") else {
                continue
            }
            if selectors.isEmpty { reader.error(pair.value, "no selector", expected: "SELECTOR: {valid: true}") }
            for s in selectors {
                // A selector is one or more labels (RFC 6376 3.1); the key name must fit under 255 octets.
                guard !s.key.isEmpty,
                    s.key.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({
                        !$0.isEmpty && $0.count <= 63
                            && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
                    }),
                    let owner = try? DomainName(parsing: "\(s.key)._domainkey", origin: reader.domain)
                else {
                    reader.error(
                        s.value, "`\(s.key)` is not a selector for \(reader.domain)",
                        expected: "labels of letters, digits and hyphens, e.g. s2025")
                    continue
                }
                guard
                    let fields = reader.mapping(
                        s.value, known: selectorKeys, what: "a mapping of DKIM key expectations")
                else { continue }
                var sel = Selector(name: s.key, owner: owner, location: s.keyLocation)
                for f in fields {
                    let v = f.value
                    switch f.key {
                    case "valid":
                        sel.valid = reader.bool(v) ?? false
                        if !sel.valid { reader.error(v, "`valid: false` says nothing; leave it out") }
                    case "key_type":
                        guard let t = reader.string(v, what: "rsa or ed25519") else { continue }
                        sel.keyType = DKIMKeyRecord.KeyType(rawValue: t)
                        if sel.keyType == nil { reader.error(v, "not a DKIM key type", expected: "rsa or ed25519") }
                    case "min_bits":
                        sel.minBits = reader.integer(v, range: 1...16384, what: "a number of bits").map { Int($0) }
                    case "testing": sel.testing = reader.bool(v)
                    case "revoked": sel.revoked = reader.bool(v)
                    default: break
                    }
                }
                if fields.isEmpty {
                    reader.error(
                        s.value, "no DKIM key expectation", expected: "one of \(selectorKeys.joined(separator: ", "))")
                }
                if sel.revoked == true && (sel.valid || sel.keyType != nil || sel.minBits != nil) {
                    reader.error(s.value, "`revoked: true` with expectations of a key; a revoked record has none")
                }
                e.selectors.append(sel)
            }
        }
        if top.isEmpty { reader.error(value, "no DKIM expectation", expected: "selectors") }
        return e
    }

    public static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard let e = entry.value as? Expectation else { return }
        for selector in e.selectors {
            domain.perQuery(key, qualifier: selector.name, selector.location) { server, t in
                .family(FamilyCheck(family: key, value: Query(selector: selector, target: server, transport: t)))
            }
        }
    }

    public static func evaluate(_ value: any FamilyCheckValue, _ context: FamilyContext) async -> [CheckResult] {
        guard let q = value as? Query else { return [context.result(.error, "not a DKIM check")] }
        let name = q.selector.owner
        return await context.perServer(q.target, q.transport, question: Question(name: name, type: .txt)) {
            judge(FamilyContext.records($0, name: name, type: .txt), q.selector)
        }
    }

    static func judge(_ records: [ResourceRecord], _ e: Selector) -> Matchers.Verdict {
        let text: String
        switch TXTRecord.single(
            TXTRecord.texts(records), where: DKIMKeyRecord.isKeyRecord, kind: "DKIM key record", at: e.owner,
            several: "which one a verifier uses is undefined (RFC 6376 3.6.2.2)", expected: e.description)
        {
        case .problem(let verdict): return verdict
        case .record(let t): text = t
        }
        let record: DKIMKeyRecord
        do {
            record = try DKIMKeyRecord(parsing: text)
        } catch {
            return Matchers.Verdict(
                pass: false, message: "invalid DKIM key record: \(error)", expected: e.description, actual: text)
        }
        var wrong: [String] = []
        if e.valid, let why = record.unusable { wrong.append(why) }
        if let t = e.keyType, record.keyType != t { wrong.append("k=\(record.keyType.rawValue), not \(t.rawValue)") }
        if let min = e.minBits {
            if record.revoked {
                wrong.append("revoked: no key to measure")
            } else if record.keyType == .rsa, let bits = record.bits, bits < min {
                wrong.append("an RSA key of \(bits) bits, under \(min)")
            }
        }
        if let t = e.testing, record.testing != t { wrong.append(record.testing ? "t=y (testing)" : "not testing") }
        if let r = e.revoked, record.revoked != r {
            wrong.append(record.revoked ? "revoked (empty p=)" : "not revoked")
        }
        return Matchers.Verdict(
            pass: wrong.isEmpty, message: wrong.isEmpty ? "\(record)" : wrong.joined(separator: "; "),
            expected: e.description, actual: "\(record)")
    }
}
