import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagMailAuth
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// `tls_rpt`: what the TLS-RPT record at `_smtp._tls.DOMAIN` means (RFC 8460 3), at every server over every
/// transport (`example.test/tls_rpt@internal[127.0.0.10]/udp`): `valid`, `rua_contains`.
public enum TLSRPTFamily: CheckFamily {
    public static let key = "tls_rpt"
    static let keys = ["valid", "rua_contains"]

    public struct Expectation: FamilyExpectation, CustomStringConvertible {
        /// `_smtp._tls.DOMAIN`.
        public let name: DomainName
        public var valid = false
        public var ruaContains: [String] = []

        public var description: String {
            var parts: [String] = []
            if valid { parts.append("valid") }
            if !ruaContains.isEmpty { parts.append("rua has \(ruaContains.joined(separator: ", "))") }
            return parts.joined(separator: ", ")
        }
    }

    struct Query: FamilyCheckValue {
        let expectation: Expectation
        let target: ServerTarget
        let transport: SpecTransport
        var server: ServerTarget? { target }
        var description: String {
            "\(expectation.name) TLS-RPT record at \(target) over \(transport.rawValue): \(expectation)"
        }
    }

    public static func schema() -> SchemaFragment {
        SchemaFragment(
            SpecSchema.objectValue([
                "valid": SpecSchema.booleanValue, "rua_contains": ["type": "array", "items": ["type": "string"]],
            ]))
    }

    public static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        guard let pairs = reader.mapping(value, known: keys, what: "a mapping of TLS-RPT expectations") else {
            return nil
        }
        guard let name = try? DomainName(parsing: "_smtp._tls", origin: reader.domain) else {
            reader.error(value, "\(reader.domain) is too long to have a _smtp._tls name below it")
            return nil
        }
        var e = Expectation(name: name)
        for pair in pairs {
            switch pair.key {
            case "valid":
                e.valid = reader.bool(pair.value) ?? false
                if !e.valid { reader.error(pair.value, "`valid: false` says nothing; leave it out") }
            case "rua_contains":
                guard let items = reader.sequence(pair.value, what: "a list of mailto: or https: URIs") else {
                    continue
                }
                for item in items {
                    guard let s = reader.string(item, what: "a mailto: or https: URI") else { continue }
                    let lower = s.lowercased()
                    guard lower.hasPrefix("mailto:") || lower.hasPrefix("https://") else {
                        reader.error(item, "not a TLS-RPT destination", expected: "mailto:ADDRESS or https://URL")
                        continue
                    }
                    e.ruaContains.append(s)
                }
            default: break
            }
        }
        if pairs.isEmpty {
            reader.error(value, "no TLS-RPT expectation", expected: "one of \(keys.joined(separator: ", "))")
        }
        return e
    }

    public static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard let e = entry.value as? Expectation else { return }
        domain.perQuery(key, entry.location) { server, t in
            .family(FamilyCheck(family: key, value: Query(expectation: e, target: server, transport: t)))
        }
    }

    public static func evaluate(_ value: any FamilyCheckValue, _ context: FamilyContext) async -> [CheckResult] {
        guard let q = value as? Query else { return [context.result(.error, "not a TLS-RPT check")] }
        let name = q.expectation.name
        return await context.perServer(q.target, q.transport, question: Question(name: name, type: .txt)) {
            judge(FamilyContext.records($0, name: name, type: .txt), q.expectation)
        }
    }

    static func judge(_ records: [ResourceRecord], _ e: Expectation) -> Matchers.Verdict {
        // RFC 8460 3: not exactly one record, and senders assume the domain does not implement TLS-RPT.
        let text: String
        switch TXTRecord.single(
            TXTRecord.texts(records), where: TLSRPTRecord.isTLSRPT, kind: "TLS-RPT record", at: e.name,
            several: "senders report to none", expected: e.description)
        {
        case .problem(let verdict): return verdict
        case .record(let t): text = t
        }
        let record: TLSRPTRecord
        do {
            record = try TLSRPTRecord(parsing: text)
        } catch {
            return Matchers.Verdict(
                pass: false, message: "invalid TLS-RPT record: \(error)", expected: e.description, actual: text)
        }
        let lowered = Set(record.rua.map { $0.lowercased() })
        let missing = e.ruaContains.filter { !lowered.contains($0.lowercased()) }
        return Matchers.Verdict(
            pass: missing.isEmpty,
            message: missing.isEmpty ? "\(record)" : "rua lacks \(missing.joined(separator: ", "))",
            expected: e.description, actual: "\(record)", missing: missing)
    }
}
