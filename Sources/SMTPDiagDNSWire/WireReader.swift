import NIOCore

/// A bounds-checked cursor over one whole DNS message. Offsets are relative to the first byte of the
/// message, which is what compression pointers and error messages count from.
public struct WireReader {
    @usableFromInline let bytes: ByteBuffer
    /// The next byte to read, relative to the start of the message.
    public var offset: Int
    /// Names already read, by the offset they were read from: a compression pointer to one of them (most
    /// owner names point at the question's) gives the same name again without decoding or allocating it.
    private var names: [NameRead] = []

    private struct NameRead {
        let position: Int
        let name: DomainName
        /// Where reading at `position` ended, and how many pointers it followed.
        let end: Int
        let pointers: Int
    }

    /// - Parameter message: the message; its readable bytes are the whole message.
    public init(message: ByteBuffer) {
        self.bytes = message
        self.offset = 0
    }

    public var count: Int { bytes.readableBytes }
    public var remaining: Int { bytes.readableBytes - offset }

    @inlinable
    func byte(at position: Int) -> UInt8? {
        guard position >= 0, position < bytes.readableBytes else { return nil }
        return bytes.getInteger(at: bytes.readerIndex + position, as: UInt8.self)
    }

    mutating func require(_ n: Int, _ field: @autoclosure () -> String) throws(DNSWireError) {
        if n > remaining { throw .truncated(field: field(), offset: offset, needed: n - max(remaining, 0)) }
    }

    public mutating func readUInt8(_ field: @autoclosure () -> String) throws(DNSWireError) -> UInt8 {
        try require(1, field())
        let v = bytes.getInteger(at: bytes.readerIndex + offset, as: UInt8.self) ?? 0
        offset += 1
        return v
    }

    public mutating func readUInt16(_ field: @autoclosure () -> String) throws(DNSWireError) -> UInt16 {
        try require(2, field())
        let v = bytes.getInteger(at: bytes.readerIndex + offset, as: UInt16.self) ?? 0
        offset += 2
        return v
    }

    public mutating func readUInt32(_ field: @autoclosure () -> String) throws(DNSWireError) -> UInt32 {
        try require(4, field())
        let v = bytes.getInteger(at: bytes.readerIndex + offset, as: UInt32.self) ?? 0
        offset += 4
        return v
    }

    public mutating func readBytes(_ n: Int, _ field: @autoclosure () -> String) throws(DNSWireError) -> [UInt8] {
        try require(n, field())
        let v = bytes.getBytes(at: bytes.readerIndex + offset, length: n) ?? []
        offset += n
        return v
    }

    /// Reads a possibly compressed name (RFC 1035 §4.1.4) in a bounded loop: every pointer must point
    /// before itself, at most 126 pointers are followed, labels are at most 63 octets and the name at
    /// most 255, and the reserved label types 01 and 10 are refused.
    public mutating func readName(_ field: @autoclosure () -> String) throws(DNSWireError) -> DomainName {
        let start = offset
        if let known = names.first(where: { $0.position == start }) {
            offset = known.end
            return known.name
        }
        var wire: [UInt8] = []
        var position = offset
        var resumeAt: Int? = nil
        var pointers = 0
        while true {
            guard let length = byte(at: position) else {
                throw .truncated(field: field(), offset: position, needed: 1)
            }
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    wire.append(0)
                    if wire.count > DomainName.maxWireLength { throw .nameTooLong(offset: start) }
                    offset = resumeAt ?? (position + 1)
                    return remember(DomainName(uncheckedWire: wire), at: start, pointers: pointers)
                }
                let count = Int(length)
                guard position + 1 + count <= bytes.readableBytes else {
                    throw .truncated(
                        field: field(), offset: position + 1, needed: position + 1 + count - bytes.readableBytes)
                }
                if wire.count + 1 + count + 1 > DomainName.maxWireLength { throw .nameTooLong(offset: start) }
                if wire.isEmpty { wire.reserveCapacity(32) }
                // The length octet and the label, copied straight from the message's storage.
                bytes.withUnsafeReadableBytes { raw in
                    wire.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[position..<(position + 1 + count)]))
                }
                position += 1 + count
            case 0xC0:
                guard let low = byte(at: position + 1) else {
                    throw .truncated(field: field(), offset: position + 1, needed: 1)
                }
                let target = Int(length & 0x3F) << 8 | Int(low)
                guard target < position else { throw .pointerNotBackwards(offset: position, target: target) }
                pointers += 1
                if pointers > DomainName.maxPointers { throw .tooManyPointers(offset: start) }
                if resumeAt == nil { resumeAt = position + 2 }
                if let known = names.first(where: { $0.position == target }) {
                    // The rest of the name was read from there before, within the same limits: what reading it
                    // again would give, or refuse.
                    pointers += known.pointers
                    if pointers > DomainName.maxPointers { throw .tooManyPointers(offset: start) }
                    if wire.count + known.name.wire.count > DomainName.maxWireLength {
                        throw .nameTooLong(offset: start)
                    }
                    offset = resumeAt ?? (position + 2)
                    if wire.isEmpty { return remember(known.name, at: start, pointers: pointers) }
                    wire.append(contentsOf: known.name.wire)
                    return remember(DomainName(uncheckedWire: wire), at: start, pointers: pointers)
                }
                position = target
            default:
                throw .reservedLabelType(offset: position, byte: length)
            }
        }
    }

    /// Keeps a name read at `position` (a few dozen at most: a message of 65,535 octets holds at most
    /// 32,767 names, so the table stops growing at 64 and the rest are decoded each time).
    private mutating func remember(_ name: DomainName, at position: Int, pointers: Int) -> DomainName {
        if names.count < 64 {
            if names.isEmpty { names.reserveCapacity(8) }
            names.append(NameRead(position: position, name: name, end: offset, pointers: pointers))
        }
        return name
    }
}
