import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// `records`: record sets of any type at any name of the domain, at every server over every transport
/// (`example.test/records[_dmarc TXT]@internal[127.0.0.10]/udp`; the same name and type again gets ` #2`).
public enum RecordsFamily: CheckFamily {
    public static let key = "records"

    public struct Expectation: FamilyExpectation {
        public let records: [RecordExpectation]
    }

    public static func schema() -> SchemaFragment { SchemaFragment(SpecSchema.list(of: "record")) }

    public static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        reader.list(value, what: "a list of {name, type, ...}") { $0.record($1) }.map(Expectation.init)
    }

    public static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard let e = entry.value as? Expectation else { return }
        var seen: [String: Int] = [:]
        for record in e.records {
            let base = "\(record.writtenName.isEmpty ? "@" : record.writtenName) \(record.type)"
            seen[base, default: 0] += 1
            let label = seen[base] == 1 ? base : "\(base) #\(seen[base] ?? 0)"
            domain.perQuery(key, qualifier: label, record.location) {
                .records(name: record.name, type: record.type, expectation: record.set, server: $0, transport: $1)
            }
        }
    }
}
