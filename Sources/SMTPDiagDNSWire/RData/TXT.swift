/// TXT: one or more <character-string>s (RFC 1035 §3.3.14). Each string is at most 255 octets;
/// SPF and DKIM split long values across several (RFC 7208 §3.3).
///
/// ```
/// | LEN | STRING ... | LEN | STRING ... |
/// ```
public struct TXT: RDataCodable {
    public static let recordType = RecordType.txt
    public var strings: [[UInt8]]

    public init(strings: [[UInt8]]) { self.strings = strings }
    public init(_ strings: [String]) { self.strings = strings.map { Array($0.utf8) } }

    /// The strings joined, as SPF and DMARC read them (RFC 7208 §3.3).
    public var joined: String { String(decoding: strings.joined(), as: UTF8.self) }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        let end = reader.offset + length
        var out: [[UInt8]] = []
        while reader.offset < end {
            let n = try reader.readUInt8("TXT.length")
            guard reader.offset + Int(n) <= end else {
                throw .rdataLength(type: "TXT", offset: reader.offset - 1, declared: length, used: 0)
            }
            out.append(try reader.readBytes(Int(n), "TXT.string"))
        }
        strings = out
    }

    public func encode(to writer: inout WireWriter, compress: Bool) {
        for s in strings {
            // A string is at most 255 octets on the wire; longer input is cut rather than corrupting the length.
            writer.write(UInt8(min(s.count, 255)))
            writer.write(bytes: s.prefix(255))
        }
    }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        guard !tokens.isEmpty else {
            throw .presentation(field: "TXT", text: "", reason: "expected at least one string")
        }
        var out: [[UInt8]] = []
        for t in tokens { out.append(try Presentation.characterString(t, field: "TXT")) }
        strings = out
    }

    public var description: String { strings.map(Presentation.quoted).joined(separator: " ") }
}
