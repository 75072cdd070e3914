/// The 12-octet message header (RFC 1035 §4.1.1; AD and CD from RFC 4035 §3.2).
///
/// ```
///   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
/// |                      ID                       |
/// |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
/// |       QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT    |
/// ```
public struct Header: Hashable, Sendable {
    public var id: UInt16
    public var isResponse: Bool
    public var opcode: Opcode
    public var authoritative: Bool
    public var truncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    /// The reserved Z bit, kept so that a message re-encodes to the same bytes.
    public var z: Bool
    public var authenticData: Bool
    public var checkingDisabled: Bool
    /// The low four bits of the response code; `Message.rcode` adds the extended bits.
    public var rcodeLow: UInt8

    public init(
        id: UInt16 = 0, isResponse: Bool = false, opcode: Opcode = .query, authoritative: Bool = false,
        truncated: Bool = false, recursionDesired: Bool = false, recursionAvailable: Bool = false, z: Bool = false,
        authenticData: Bool = false, checkingDisabled: Bool = false, rcodeLow: UInt8 = 0
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.authoritative = authoritative
        self.truncated = truncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.z = z
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.rcodeLow = rcodeLow & 0x0F
    }

    public var flags: UInt16 {
        var f: UInt16 = 0
        if isResponse { f |= 0x8000 }
        f |= UInt16(opcode.rawValue & 0x0F) << 11
        if authoritative { f |= 0x0400 }
        if truncated { f |= 0x0200 }
        if recursionDesired { f |= 0x0100 }
        if recursionAvailable { f |= 0x0080 }
        if z { f |= 0x0040 }
        if authenticData { f |= 0x0020 }
        if checkingDisabled { f |= 0x0010 }
        f |= UInt16(rcodeLow & 0x0F)
        return f
    }

    public init(id: UInt16, flags f: UInt16) {
        self.init(
            id: id, isResponse: f & 0x8000 != 0, opcode: Opcode(rawValue: UInt8((f >> 11) & 0x0F)),
            authoritative: f & 0x0400 != 0, truncated: f & 0x0200 != 0, recursionDesired: f & 0x0100 != 0,
            recursionAvailable: f & 0x0080 != 0, z: f & 0x0040 != 0, authenticData: f & 0x0020 != 0,
            checkingDisabled: f & 0x0010 != 0, rcodeLow: UInt8(f & 0x000F))
    }

    /// The set flags as dig prints them: `qr aa rd`.
    public var flagNames: [String] {
        var out: [String] = []
        if isResponse { out.append("qr") }
        if authoritative { out.append("aa") }
        if truncated { out.append("tc") }
        if recursionDesired { out.append("rd") }
        if recursionAvailable { out.append("ra") }
        if authenticData { out.append("ad") }
        if checkingDisabled { out.append("cd") }
        return out
    }
}

/// One entry of the question section (RFC 1035 §4.1.2).
public struct Question: Hashable, Sendable, CustomStringConvertible {
    public var name: DomainName
    public var type: RecordType
    public var recordClass: RecordClass

    public init(name: DomainName, type: RecordType, recordClass: RecordClass = .in) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }

    public var description: String { "\(name) \(recordClass) \(type)" }
}
