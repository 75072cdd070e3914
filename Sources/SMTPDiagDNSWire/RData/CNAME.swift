/// CNAME: the canonical name of an alias (RFC 1035 §3.3.1). Its name may be compressed on the wire.
///
/// ```
/// /   TARGET   /   a <domain-name>
/// ```
public struct CNAME: RDataCodable {
    public static let recordType = RecordType.cname
    public var target: DomainName

    public init(target: DomainName) { self.target = target }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        target = try reader.readName("CNAME.target")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) { writer.write(name: target, compress: compress) }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(tokens, count: 1, field: "CNAME", form: "NAME")
        target = try Presentation.name(tokens[0], origin: origin, field: "CNAME.target")
    }

    public var description: String { target.description }
}
