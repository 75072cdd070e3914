import NIOCore

/// Writes one DNS message, compressing names (RFC 1035 §4.1.4) where asked.
public struct WireWriter {
    public private(set) var buffer: ByteBuffer
    private let start: Int
    /// Lower-cased wire form of a name suffix -> its offset in the message.
    private var suffixes: [ArraySlice<UInt8>: Int] = [:]

    public init(buffer: ByteBuffer = ByteBuffer()) {
        self.buffer = buffer
        self.start = buffer.writerIndex
    }

    /// Bytes written so far, which is the offset of the next byte.
    public var offset: Int { buffer.writerIndex - start }

    public mutating func write(_ v: UInt8) { buffer.writeInteger(v) }
    public mutating func write(_ v: UInt16) { buffer.writeInteger(v) }
    public mutating func write(_ v: UInt32) { buffer.writeInteger(v) }
    public mutating func write(bytes: some Sequence<UInt8>) { buffer.writeBytes(bytes) }

    /// Overwrites a 16-bit field written earlier (RDLENGTH, counts).
    public mutating func set(_ v: UInt16, at offset: Int) {
        buffer.setInteger(v, at: start + offset)
    }

    /// Writes a name, replacing its longest suffix already in the message by a pointer when `compress`.
    /// Every suffix written is remembered either way, so later names may point at it.
    public mutating func write(name: DomainName, compress: Bool) {
        let wire = name.wire
        let folded = name.foldedWire
        var index = 0
        while wire[index] != 0 {
            let suffix = folded[index...]
            if compress, let target = suffixes[suffix] {
                write(UInt16(0xC000 | target))
                return
            }
            // A pointer has 14 bits: names written later in the message cannot be pointed at.
            if offset < 0x3FFF, suffixes[suffix] == nil { suffixes[suffix] = offset }
            let length = Int(wire[index])
            buffer.writeBytes(wire[index...(index + length)])
            index += 1 + length
        }
        write(UInt8(0))
    }
}
