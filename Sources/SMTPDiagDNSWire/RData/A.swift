/// A: an IPv4 host address (RFC 1035 §3.4.1).
///
/// ```
/// +--+--+--+--+
/// |  ADDRESS  |   32 bits
/// +--+--+--+--+
/// ```
public struct A: RDataCodable {
    public static let recordType = RecordType.a
    public var address: [UInt8]

    public init(address: [UInt8]) { self.address = address }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        guard length == 4 else {
            throw .rdataLength(type: "A", offset: reader.offset, declared: length, used: 4)
        }
        address = try reader.readBytes(4, "A.address")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) { writer.write(bytes: address) }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(tokens, count: 1, field: "A", form: "ADDRESS")
        address = try Presentation.ipv4(tokens[0].raw, field: "A.address")
    }

    public var description: String { Presentation.formatIPv4(address) }
}
