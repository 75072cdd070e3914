import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// What `ns` and `mx` expect: a record set at the zone's apex.
public struct ApexRecordSet: FamilyExpectation {
    public let set: RecordSetExpectation
}

/// A family whose key holds one record set of `type` at the zone's apex, checked at every server over every
/// transport (`example.test/KEY@SERVER/TRANSPORT`).
public protocol ApexRecordSetFamily: CheckFamily {
    static var type: RecordType { get }
    /// The schema definition its value takes (`recordSet`, or `mxSet` for MX's `PREFERENCE EXCHANGE` lists).
    static var definition: String { get }
}

extension ApexRecordSetFamily {
    public static func schema() -> SchemaFragment { SchemaFragment(SpecSchema.reference(definition)) }

    public static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        reader.recordSet(value, type: type).map(ApexRecordSet.init)
    }

    public static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard let e = entry.value as? ApexRecordSet else { return }
        let zone = domain.zone
        domain.perQuery(key, e.set.location) {
            .records(name: zone, type: type, expectation: e.set, server: $0, transport: $1)
        }
    }
}
