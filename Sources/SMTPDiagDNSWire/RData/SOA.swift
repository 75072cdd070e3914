/// SOA: the start of a zone of authority (RFC 1035 §3.3.13). Serial arithmetic is RFC 1982.
///
/// ```
/// /  MNAME  /  RNAME  /  SERIAL (32)  |  REFRESH (32)  |  RETRY (32)  |  EXPIRE (32)  |  MINIMUM (32)
/// ```
public struct SOA: RDataCodable {
    public static let recordType = RecordType.soa
    public var mname: DomainName
    public var rname: DomainName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(
        mname: DomainName, rname: DomainName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
        minimum: UInt32
    ) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        mname = try reader.readName("SOA.mname")
        rname = try reader.readName("SOA.rname")
        serial = try reader.readUInt32("SOA.serial")
        refresh = try reader.readUInt32("SOA.refresh")
        retry = try reader.readUInt32("SOA.retry")
        expire = try reader.readUInt32("SOA.expire")
        minimum = try reader.readUInt32("SOA.minimum")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) {
        writer.write(name: mname, compress: compress)
        writer.write(name: rname, compress: compress)
        for v in [serial, refresh, retry, expire, minimum] { writer.write(v) }
    }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(
            tokens, count: 7, field: "SOA", form: "MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM")
        mname = try Presentation.name(tokens[0], origin: origin, field: "SOA.mname")
        rname = try Presentation.name(tokens[1], origin: origin, field: "SOA.rname")
        serial = try Presentation.integer(tokens[2], as: UInt32.self, field: "SOA.serial")
        refresh = try Presentation.integer(tokens[3], as: UInt32.self, field: "SOA.refresh")
        retry = try Presentation.integer(tokens[4], as: UInt32.self, field: "SOA.retry")
        expire = try Presentation.integer(tokens[5], as: UInt32.self, field: "SOA.expire")
        minimum = try Presentation.integer(tokens[6], as: UInt32.self, field: "SOA.minimum")
    }

    public var description: String { "\(mname) \(rname) \(serial) \(refresh) \(retry) \(expire) \(minimum)" }
}

/// Sequence space arithmetic on 32-bit serials (RFC 1982 §3).
public enum SerialNumber {
    /// The signed distance from `a` to `b`: positive when `b` is newer. `nil` when undefined
    /// (the two are exactly 2^31 apart).
    public static func distance(from a: UInt32, to b: UInt32) -> Int64? {
        let d = b &- a
        if d == 0 { return 0 }
        if d == 0x8000_0000 { return nil }
        return d < 0x8000_0000 ? Int64(d) : -Int64(a &- b)
    }

    /// RFC 1982 `a < b`.
    public static func isLess(_ a: UInt32, _ b: UInt32) -> Bool {
        (a < b && b - a < 0x8000_0000) || (a > b && a - b > 0x8000_0000)
    }
}
