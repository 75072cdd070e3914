import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// `ns`: the zone's NS set, at every server over every transport (`example.test/ns@internal[127.0.0.10]/udp`).
public enum NSFamily: CheckFamily {
    public static let key = "ns"

    public struct Expectation: FamilyExpectation {
        public let set: RecordSetExpectation
    }

    public static func schema() -> SchemaFragment { SchemaFragment(SpecSchema.reference("recordSet")) }

    public static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        reader.recordSet(value, type: .ns).map(Expectation.init)
    }

    public static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard let e = entry.value as? Expectation else { return }
        let zone = domain.zone
        domain.perQuery(key, e.set.location) {
            .records(name: zone, type: .ns, expectation: e.set, server: $0, transport: $1)
        }
    }
}
