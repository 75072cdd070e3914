/// NS: an authoritative name server (RFC 1035 §3.3.11). Its name may be compressed on the wire.
///
/// ```
/// /   NSDNAME   /   a <domain-name>
/// ```
public struct NS: RDataCodable {
    public static let recordType = RecordType.ns
    public var nsdname: DomainName

    public init(nsdname: DomainName) { self.nsdname = nsdname }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        nsdname = try reader.readName("NS.nsdname")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) { writer.write(name: nsdname, compress: compress) }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(tokens, count: 1, field: "NS", form: "NAME")
        nsdname = try Presentation.name(tokens[0], origin: origin, field: "NS.nsdname")
    }

    public var description: String { nsdname.description }
}
