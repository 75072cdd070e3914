/// MX: a mail exchanger (RFC 1035 §3.3.9). `0 .` is the null MX of RFC 7505: the domain accepts no mail.
///
/// ```
/// |  PREFERENCE (16)  |
/// /     EXCHANGE      /
/// ```
public struct MX: RDataCodable {
    public static let recordType = RecordType.mx
    public var preference: UInt16
    public var exchange: DomainName

    public init(preference: UInt16, exchange: DomainName) {
        self.preference = preference
        self.exchange = exchange
    }

    /// RFC 7505 §3: a single MX with preference 0 and the root as exchange.
    public var isNullMX: Bool { preference == 0 && exchange.isRoot }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        preference = try reader.readUInt16("MX.preference")
        exchange = try reader.readName("MX.exchange")
    }

    public func encode(to writer: inout WireWriter, compress: Bool) {
        writer.write(preference)
        writer.write(name: exchange, compress: compress)
    }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        try Presentation.expect(tokens, count: 2, field: "MX", form: "PREFERENCE EXCHANGE")
        preference = try Presentation.integer(tokens[0], as: UInt16.self, field: "MX.preference")
        exchange = try Presentation.name(tokens[1], origin: origin, field: "MX.exchange")
    }

    public var description: String { "\(preference) \(exchange)" }
}
