import SMTPDiagDNSWire

/// `ns`: the zone's NS set, at every server over every transport (`example.test/ns@internal[127.0.0.10]/udp`).
public enum NSFamily: ApexRecordSetFamily {
    public static let key = "ns"
    public static let type = RecordType.ns
    public static let definition = "recordSet"
}
