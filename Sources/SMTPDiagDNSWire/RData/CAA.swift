/// CAA: certification authority authorization (RFC 8659 §4.1).
///
/// ```
/// | FLAGS (8) | TAG LENGTH (8) | TAG ... | VALUE ... (to the end of RDATA) |
/// ```
public struct CAA: RDataCodable {
    public static let recordType = RecordType.caa
    public var flags: UInt8
    public var tag: [UInt8]
    public var value: [UInt8]

    public init(flags: UInt8, tag: String, value: String) {
        self.flags = flags
        self.tag = Array(tag.utf8)
        self.value = Array(value.utf8)
    }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        let start = reader.offset
        flags = try reader.readUInt8("CAA.flags")
        let n = Int(try reader.readUInt8("CAA.tagLength"))
        guard n >= 1, 2 + n <= length else {
            throw .invalidField(field: "CAA.tagLength", offset: start + 1, reason: "tag length \(n) does not fit")
        }
        tag = try reader.readBytes(n, "CAA.tag")
        value = try reader.readBytes(length - 2 - n, "CAA.value")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) {
        writer.write(flags)
        writer.write(UInt8(min(tag.count, 255)))
        writer.write(bytes: tag.prefix(255))
        writer.write(bytes: value)
    }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(tokens, count: 3, field: "CAA", form: "FLAGS TAG \"VALUE\"")
        flags = try Presentation.integer(tokens[0], as: UInt8.self, field: "CAA.flags")
        tag = Array(tokens[1].raw.utf8)
        guard !tag.isEmpty, tag.count <= 255,
            tag.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) })
        else { throw .presentation(field: "CAA.tag", text: tokens[1].raw, reason: "tag must be letters and digits") }
        // The value may be longer than 255 octets, so it is not read as a <character-string>.
        value = try Presentation.unescape(tokens[2].raw, field: "CAA.value")
    }

    public var description: String {
        // RFC 8659 §4.1.1: a tag is letters and digits. Anything else from the wire is shown escaped.
        let plain = tag.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
        let tagText = plain ? String(decoding: tag, as: UTF8.self) : Presentation.quoted(tag)
        return "\(flags) \(tagText) \(Presentation.quoted(value))"
    }
}
