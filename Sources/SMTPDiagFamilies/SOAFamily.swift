import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// `soa`: fields of the zone's SOA at every server over every transport (`example.test/soa.serial@...`), and with
/// `consistent: true` one check that every listed server and every authoritative NS agree on the serial
/// (`example.test/soa.consistent`).
public enum SOAFamily: CheckFamily {
    public static let key = "soa"
    static let keys = ["mname", "rname", "serial", "consistent", "max_drift"]

    public struct Expectation: FamilyExpectation {
        public var mname: DomainName?
        public var rname: DomainName?
        public var serial: NumberExpectation?
        public var consistent = false
        public var maxDrift: UInt32 = 0
        public var location: SourceLocation
        public var consistentLocation: SourceLocation
    }

    public static func schema() -> SchemaFragment {
        SchemaFragment(
            SpecSchema.objectValue([
                "mname": ["type": "string"], "rname": ["type": "string"], "serial": SpecSchema.reference("number"),
                "consistent": SpecSchema.booleanValue, "max_drift": SpecSchema.integerValue(0, 2_147_483_647),
            ]))
    }

    public static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        guard let pairs = reader.mapping(value, known: keys, what: "a mapping") else { return nil }
        let here = reader.location(value)
        var soa = Expectation(location: here, consistentLocation: here)
        for pair in pairs {
            let v = pair.value
            switch pair.key {
            case "mname": soa.mname = reader.name(v)
            case "rname": soa.rname = reader.name(v, what: "a name (the mailbox with its @ as a dot)")
            case "serial": soa.serial = reader.number(v, range: 0...Int64(UInt32.max), what: "a serial number")
            case "consistent":
                soa.consistent = reader.bool(v) ?? false
                soa.consistentLocation = pair.keyLocation
            case "max_drift":
                if let n = reader.integer(v, range: 0...Int64(Int32.max), what: "a serial difference, 0 to 2^31-1") {
                    soa.maxDrift = UInt32(n)
                }
            default: break
            }
        }
        return soa
    }

    public static func needsDiscovery(_ entry: FamilyEntry) -> Bool {
        (entry.value as? Expectation)?.consistent ?? false
    }

    public static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard let soa = entry.value as? Expectation else { return }
        let zone = domain.zone
        var fields: [SOAField] = []
        if let m = soa.mname { fields.append(.mname(m)) }
        if let r = soa.rname { fields.append(.rname(r)) }
        if let s = soa.serial { fields.append(.serial(s)) }
        for field in fields {
            domain.perQuery(field.description, soa.location) { server, t in
                .soaField(zone: zone, field: field, server: server, transport: t)
            }
        }
        guard soa.consistent else { return }
        var all = domain.servers
        if !all.contains(where: { if case .authoritative = $0 { return true } else { return false } }) {
            all.append(.authoritative(zone: zone, via: domain.discoveryVia))
        }
        domain.add(
            "soa.consistent",
            .soaConsistency(zone: zone, servers: all, transports: domain.transports, maxDrift: soa.maxDrift),
            soa.consistentLocation, dependencies: [domain.discoveryID])
    }
}
