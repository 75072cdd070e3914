/// One resource record (RFC 1035 §4.1.3).
///
/// ```
/// /  NAME  /  TYPE (16)  |  CLASS (16)  |  TTL (32)  |  RDLENGTH (16)  /  RDATA  /
/// ```
public struct ResourceRecord: Hashable, Sendable, CustomStringConvertible {
    public var name: DomainName
    public var recordClass: RecordClass
    public var ttl: UInt32
    public var rdata: RData

    public var type: RecordType { rdata.type }

    public init(name: DomainName, recordClass: RecordClass = .in, ttl: UInt32, rdata: RData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.rdata = rdata
    }

    /// Zone-file form, as dig prints it: `name TTL CLASS TYPE rdata`.
    public var description: String { "\(name) \(ttl) \(recordClass) \(type) \(rdata)" }

    static func decode(from reader: inout WireReader, section: @autoclosure () -> String) throws(DNSWireError)
        -> ResourceRecord
    {
        let name = try reader.readName("\(section()).name")
        let type = RecordType(rawValue: try reader.readUInt16("\(section()).type"))
        let recordClass = RecordClass(rawValue: try reader.readUInt16("\(section()).class"))
        let ttl = try reader.readUInt32("\(section()).ttl")
        let length = Int(try reader.readUInt16("\(section()).rdlength"))
        let rdata = try RData.decode(type: type, from: &reader, length: length)
        return ResourceRecord(name: name, recordClass: recordClass, ttl: ttl, rdata: rdata)
    }

    func encode(to writer: inout WireWriter, compress: Bool) throws(DNSWireError) {
        writer.write(name: name, compress: compress)
        writer.write(type.rawValue)
        writer.write(recordClass.rawValue)
        writer.write(ttl)
        let lengthAt = writer.offset
        writer.write(UInt16(0))
        rdata.encode(to: &writer, compress: compress)
        let length = writer.offset - lengthAt - 2
        guard length <= 0xFFFF else { throw .messageTooLarge(size: length) }
        writer.set(UInt16(length), at: lengthAt)
    }
}
