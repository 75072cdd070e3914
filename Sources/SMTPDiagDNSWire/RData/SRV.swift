/// SRV: a service location (RFC 2782). The target is never compressed when written.
///
/// ```
/// | PRIORITY (16) | WEIGHT (16) | PORT (16) |
/// /                 TARGET                    /
/// ```
public struct SRV: RDataCodable {
    public static let recordType = RecordType.srv
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: DomainName

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: DomainName) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        priority = try reader.readUInt16("SRV.priority")
        weight = try reader.readUInt16("SRV.weight")
        port = try reader.readUInt16("SRV.port")
        target = try reader.readName("SRV.target")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) {
        writer.write(priority)
        writer.write(weight)
        writer.write(port)
        writer.write(name: target, compress: false)
    }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(tokens, count: 4, field: "SRV", form: "PRIORITY WEIGHT PORT TARGET")
        priority = try Presentation.integer(tokens[0], as: UInt16.self, field: "SRV.priority")
        weight = try Presentation.integer(tokens[1], as: UInt16.self, field: "SRV.weight")
        port = try Presentation.integer(tokens[2], as: UInt16.self, field: "SRV.port")
        target = try Presentation.name(tokens[3], origin: origin, field: "SRV.target")
    }

    public var description: String { "\(priority) \(weight) \(port) \(target)" }
}
