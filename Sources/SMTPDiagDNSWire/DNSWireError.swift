/// Everything that can go wrong reading or writing DNS data. Every case says where: a byte offset
/// into the message, or a field path such as `"MX.exchange"`.
public enum DNSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The message ended before a field that had to be there.
    case truncated(field: String, offset: Int, needed: Int)
    /// A compression pointer points at or after itself (RFC 1035 §4.1.4 only allows earlier names).
    case pointerNotBackwards(offset: Int, target: Int)
    /// More compression pointers than any legal name can need.
    case tooManyPointers(offset: Int)
    /// The label type bits 01 or 10 (RFC 6891 §5, RFC 2673): not supported by anyone.
    case reservedLabelType(offset: Int, byte: UInt8)
    /// A label longer than 63 octets (RFC 1035 §2.3.4).
    case labelTooLong(offset: Int, length: Int)
    /// A name longer than 255 octets in wire form (RFC 1035 §2.3.4).
    case nameTooLong(offset: Int)
    /// RDATA that does not fill exactly its RDLENGTH.
    case rdataLength(type: String, offset: Int, declared: Int, used: Int)
    /// A field whose value is not allowed.
    case invalidField(field: String, offset: Int, reason: String)
    /// Bytes after the last record the header counts.
    case trailingBytes(offset: Int, count: Int)
    /// The encoder produced more than 65,535 octets.
    case messageTooLarge(size: Int)
    /// Presentation text that does not parse.
    case presentation(field: String, text: String, reason: String)

    public var description: String {
        switch self {
        case .truncated(let field, let offset, let needed):
            return "message truncated at byte \(offset): \(field) needs \(needed) more byte(s)"
        case .pointerNotBackwards(let offset, let target):
            return "compression pointer at byte \(offset) points to \(target), not to an earlier name"
        case .tooManyPointers(let offset):
            return "too many compression pointers in the name at byte \(offset)"
        case .reservedLabelType(let offset, let byte):
            return "reserved label type 0x\(String(byte, radix: 16)) at byte \(offset)"
        case .labelTooLong(let offset, let length):
            return "label of \(length) octets at byte \(offset) (at most 63)"
        case .nameTooLong(let offset):
            return "name at byte \(offset) is longer than 255 octets"
        case .rdataLength(let type, let offset, let declared, let used):
            return "\(type) RDATA at byte \(offset): RDLENGTH is \(declared) but the fields take \(used)"
        case .invalidField(let field, let offset, let reason):
            return "\(field) at byte \(offset): \(reason)"
        case .trailingBytes(let offset, let count):
            return "\(count) byte(s) of trailing garbage at byte \(offset)"
        case .messageTooLarge(let size):
            return "encoded message of \(size) octets is over 65535"
        case .presentation(let field, let text, let reason):
            return "\(field): cannot parse \"\(text)\": \(reason)"
        }
    }

    /// The byte offset the error refers to, when it refers to one.
    public var offset: Int? {
        switch self {
        case .truncated(_, let offset, _), .pointerNotBackwards(let offset, _), .tooManyPointers(let offset),
            .reservedLabelType(let offset, _), .labelTooLong(let offset, _), .nameTooLong(let offset),
            .rdataLength(_, let offset, _, _), .invalidField(_, let offset, _), .trailingBytes(let offset, _):
            return offset
        case .messageTooLarge, .presentation:
            return nil
        }
    }
}
