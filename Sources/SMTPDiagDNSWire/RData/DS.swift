/// DS: a delegation signer (RFC 4034 §5.1).
///
/// ```
/// | KEY TAG (16) | ALGORITHM (8) | DIGEST TYPE (8) | DIGEST ... |
/// ```
public struct DS: RDataCodable {
    public static let recordType = RecordType.ds
    public var keyTag: UInt16
    public var algorithm: UInt8
    public var digestType: UInt8
    public var digest: [UInt8]

    public init(keyTag: UInt16, algorithm: UInt8, digestType: UInt8, digest: [UInt8]) {
        self.keyTag = keyTag
        self.algorithm = algorithm
        self.digestType = digestType
        self.digest = digest
    }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        guard length >= 4 else {
            throw .rdataLength(type: "DS", offset: reader.offset, declared: length, used: 4)
        }
        keyTag = try reader.readUInt16("DS.keyTag")
        algorithm = try reader.readUInt8("DS.algorithm")
        digestType = try reader.readUInt8("DS.digestType")
        digest = try reader.readBytes(length - 4, "DS.digest")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) {
        writer.write(keyTag)
        writer.write(algorithm)
        writer.write(digestType)
        writer.write(bytes: digest)
    }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(tokens, count: 4, orMore: true, field: "DS", form: "KEYTAG ALGORITHM DIGEST-TYPE HEX")
        keyTag = try Presentation.integer(tokens[0], as: UInt16.self, field: "DS.keyTag")
        algorithm = try Presentation.integer(tokens[1], as: UInt8.self, field: "DS.algorithm")
        digestType = try Presentation.integer(tokens[2], as: UInt8.self, field: "DS.digestType")
        digest = try Presentation.hexBytes(tokens[3...].map(\.raw).joined(), field: "DS.digest")
    }

    public var description: String { "\(keyTag) \(algorithm) \(digestType) \(Presentation.hex(digest))" }
}
