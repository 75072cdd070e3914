import NIOCore

/// One record type's RDATA: its wire form, its presentation form, and its type code.
public protocol RDataCodable: Hashable, Sendable, CustomStringConvertible {
    static var recordType: RecordType { get }
    /// Decodes exactly `length` octets at `reader.offset`; names may be compressed.
    init(from reader: inout WireReader, length: Int) throws(DNSWireError)
    /// Encodes the RDATA; `compress` is true only for the types RFC 3597 §4 allows.
    func encode(to writer: inout WireWriter, compress: Bool)
    /// Parses presentation fields; relative names get `origin` appended.
    init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError)
}
