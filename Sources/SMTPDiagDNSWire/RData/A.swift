/// A: an IPv4 host address (RFC 1035 §3.4.1).
///
/// ```
/// +--+--+--+--+
/// |  ADDRESS  |   32 bits
/// +--+--+--+--+
/// ```
public struct A: RDataCodable {
    public static let recordType = RecordType.a
    /// The address in network order, held inline (an array a record was an allocation for every A read).
    public var value: UInt32

    /// The four octets, most significant first.
    public var address: [UInt8] {
        get { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        set { self = A(address: newValue) }
    }

    /// - Precondition: `address` has four octets.
    public init(address: [UInt8]) {
        precondition(address.count == 4, "an IPv4 address has four octets, not \(address.count)")
        value = address.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public init(value: UInt32) { self.value = value }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        guard length == 4 else {
            throw .rdataLength(type: "A", offset: reader.offset, declared: length, used: 4)
        }
        value = try reader.readUInt32("A.address")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) { writer.write(value) }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(tokens, count: 1, field: "A", form: "ADDRESS")
        self.init(address: try Presentation.ipv4(tokens[0].raw, field: "A.address"))
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}
