/// TLSA: a DANE certificate association (RFC 6698 §2.1). `3 1 1` pins the SHA-256 of the server's
/// SubjectPublicKeyInfo, `3 0 1` the SHA-256 of its whole certificate.
///
/// ```
/// | USAGE (8) | SELECTOR (8) | MATCHING TYPE (8) | CERTIFICATE ASSOCIATION DATA ... |
/// ```
public struct TLSA: RDataCodable {
    public static let recordType = RecordType.tlsa
    public var usage: UInt8
    public var selector: UInt8
    public var matchingType: UInt8
    public var data: [UInt8]

    public init(usage: UInt8, selector: UInt8, matchingType: UInt8, data: [UInt8]) {
        self.usage = usage
        self.selector = selector
        self.matchingType = matchingType
        self.data = data
    }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        guard length >= 3 else {
            throw .rdataLength(type: "TLSA", offset: reader.offset, declared: length, used: 3)
        }
        usage = try reader.readUInt8("TLSA.usage")
        selector = try reader.readUInt8("TLSA.selector")
        matchingType = try reader.readUInt8("TLSA.matchingType")
        data = try reader.readBytes(length - 3, "TLSA.data")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) {
        writer.write(usage)
        writer.write(selector)
        writer.write(matchingType)
        writer.write(bytes: data)
    }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(tokens, count: 4, orMore: true, field: "TLSA", form: "USAGE SELECTOR MATCHING-TYPE HEX")
        usage = try Presentation.integer(tokens[0], as: UInt8.self, field: "TLSA.usage")
        selector = try Presentation.integer(tokens[1], as: UInt8.self, field: "TLSA.selector")
        matchingType = try Presentation.integer(tokens[2], as: UInt8.self, field: "TLSA.matchingType")
        data = try Presentation.hexBytes(tokens[3...].map(\.raw).joined(), field: "TLSA.data")
    }

    public var description: String { "\(usage) \(selector) \(matchingType) \(Presentation.hex(data))" }
}
