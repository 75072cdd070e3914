/// AAAA: an IPv6 host address (RFC 3596 §2.2), 128 bits; text as RFC 5952.
public struct AAAA: RDataCodable {
    public static let recordType = RecordType.aaaa
    public var address: [UInt8]

    public init(address: [UInt8]) { self.address = address }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        guard length == 16 else {
            throw .rdataLength(type: "AAAA", offset: reader.offset, declared: length, used: 16)
        }
        address = try reader.readBytes(16, "AAAA.address")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) { writer.write(bytes: address) }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(tokens, count: 1, field: "AAAA", form: "ADDRESS")
        address = try Presentation.ipv6(tokens[0].raw, field: "AAAA.address")
    }

    public var description: String { Presentation.formatIPv6(address) }
}
