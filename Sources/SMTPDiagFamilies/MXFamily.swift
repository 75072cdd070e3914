import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// `mx`: the zone's MX set, `PREFERENCE EXCHANGE` values, at every server over every transport
/// (`example.test/mx@internal[127.0.0.10]/udp`).
public enum MXFamily: ApexRecordSetFamily {
    public static let key = "mx"
    public static let type = RecordType.mx
    public static let definition = "mxSet"
}

/// `mx_resolves`: every MX exchange has an A or AAAA record, at every server over every transport; `true` by
/// default when the domain has `mx` (`example.test/mx_resolves@internal[127.0.0.10]/udp`).
public enum MXResolvesFamily: CheckFamily {
    public static let key = "mx_resolves"

    public struct Expectation: FamilyExpectation {
        public let resolves: Bool
    }

    public static func schema() -> SchemaFragment { SchemaFragment(SpecSchema.booleanValue) }

    public static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        reader.bool(value).map(Expectation.init)
    }

    public static func problem(_ entry: FamilyEntry, among entries: [FamilyEntry]) -> String? {
        guard (entry.value as? Expectation)?.resolves == true, !entries.contains(where: { $0.key == MXFamily.key })
        else { return nil }
        return "mx_resolves needs the domain's `mx` expectation"
    }

    public static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard (entry.value as? Expectation)?.resolves == true else { return }
        plan(&domain, at: entry.keyLocation)
    }

    public static func compileDefault(_ domain: inout DomainPlan) {
        guard let mx = domain.entry(MXFamily.key), let e = mx.value as? ApexRecordSet else { return }
        plan(&domain, at: e.set.location)
    }

    static func plan(_ domain: inout DomainPlan, at location: SourceLocation) {
        let zone = domain.zone
        domain.perQuery(key, location) { .mxResolves(zone: zone, server: $0, transport: $1) }
    }
}
