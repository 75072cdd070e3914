/// OPT: the EDNS(0) pseudo-record's options (RFC 6891 §6.1.2). The payload size, extended RCODE,
/// version and DO bit live in the record's CLASS and TTL; see `EDNS`.
///
/// ```
/// | OPTION-CODE (16) | OPTION-LENGTH (16) | OPTION-DATA ... |  (repeated)
/// ```
public struct OPT: RDataCodable {
    public static let recordType = RecordType.opt

    public struct Option: Hashable, Sendable {
        public var code: UInt16
        public var data: [UInt8]
        public init(code: UInt16, data: [UInt8]) {
            self.code = code
            self.data = data
        }
    }

    public var options: [Option]

    public init(options: [Option] = []) { self.options = options }

    public init(from reader: inout WireReader, length: Int) throws(DNSWireError) {
        let end = reader.offset + length
        var out: [Option] = []
        while reader.offset < end {
            let code = try reader.readUInt16("OPT.code")
            let n = Int(try reader.readUInt16("OPT.length"))
            guard reader.offset + n <= end else {
                throw .invalidField(field: "OPT.length", offset: reader.offset - 2, reason: "option runs past RDATA")
            }
            out.append(Option(code: code, data: try reader.readBytes(n, "OPT.data")))
        }
        options = out
    }

    public func encode(to writer: inout WireWriter, compress: Bool) {
        for o in options {
            writer.write(o.code)
            writer.write(UInt16(min(o.data.count, 0xFFFF)))
            writer.write(bytes: o.data.prefix(0xFFFF))
        }
    }

    public init(presentation tokens: [Presentation.Token], origin: DomainName?) throws(DNSWireError) {
        guard tokens.isEmpty else {
            throw .presentation(
                field: "OPT", text: tokens.map(\.raw).joined(separator: " "), reason: "OPT has no text form but \\#")
        }
        options = []
    }

    public var description: String {
        options.map { "\($0.code):\(Presentation.hex($0.data))" }.joined(separator: " ")
    }
}

/// The EDNS(0) view of an OPT record (RFC 6891 §6.1.3).
public struct EDNS: Hashable, Sendable {
    public var udpPayloadSize: UInt16
    public var extendedRcode: UInt8
    public var version: UInt8
    public var dnssecOK: Bool
    /// The 15 bits after DO, kept so a message re-encodes unchanged.
    public var z: UInt16
    public var options: [OPT.Option]

    public init(
        udpPayloadSize: UInt16 = 1232, extendedRcode: UInt8 = 0, version: UInt8 = 0, dnssecOK: Bool = false,
        z: UInt16 = 0, options: [OPT.Option] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRcode = extendedRcode
        self.version = version
        self.dnssecOK = dnssecOK
        self.z = z & 0x7FFF
        self.options = options
    }

    var ttl: UInt32 {
        UInt32(extendedRcode) << 24 | UInt32(version) << 16 | (dnssecOK ? 0x8000 : 0) | UInt32(z & 0x7FFF)
    }

    init(recordClass: RecordClass, ttl: UInt32, options: [OPT.Option]) {
        self.init(
            udpPayloadSize: recordClass.rawValue, extendedRcode: UInt8(ttl >> 24), version: UInt8((ttl >> 16) & 0xFF),
            dnssecOK: ttl & 0x8000 != 0, z: UInt16(ttl & 0x7FFF), options: options)
    }
}
