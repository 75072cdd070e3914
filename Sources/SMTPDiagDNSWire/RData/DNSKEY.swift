/// DNSKEY: a zone's public key (RFC 4034 §2.1).
///
/// ```
/// | FLAGS (16) | PROTOCOL (8) | ALGORITHM (8) | PUBLIC KEY ... |
/// ```
public struct DNSKEY: RDataCodable {
    public static let recordType = RecordType.dnskey
    public var flags: UInt16
    public var protocolField: UInt8
    public var algorithm: UInt8
    public var publicKey: [UInt8]

    public init(flags: UInt16, protocolField: UInt8 = 3, algorithm: UInt8, publicKey: [UInt8]) {
        self.flags = flags
        self.protocolField = protocolField
        self.algorithm = algorithm
        self.publicKey = publicKey
    }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        guard length >= 4 else {
            throw .rdataLength(type: "DNSKEY", offset: reader.offset, declared: length, used: 4)
        }
        flags = try reader.readUInt16("DNSKEY.flags")
        protocolField = try reader.readUInt8("DNSKEY.protocol")
        algorithm = try reader.readUInt8("DNSKEY.algorithm")
        publicKey = try reader.readBytes(length - 4, "DNSKEY.publicKey")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) {
        writer.write(flags)
        writer.write(protocolField)
        writer.write(algorithm)
        writer.write(bytes: publicKey)
    }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(
            tokens, count: 4, orMore: true, field: "DNSKEY", form: "FLAGS PROTOCOL ALGORITHM BASE64")
        flags = try Presentation.integer(tokens[0], as: UInt16.self, field: "DNSKEY.flags")
        protocolField = try Presentation.integer(tokens[1], as: UInt8.self, field: "DNSKEY.protocol")
        algorithm = try Presentation.integer(tokens[2], as: UInt8.self, field: "DNSKEY.algorithm")
        publicKey = try Presentation.base64Bytes(tokens[3...].map(\.raw).joined(), field: "DNSKEY.publicKey")
    }

    public var description: String {
        "\(flags) \(protocolField) \(algorithm) \(Presentation.base64(publicKey))"
    }
}
