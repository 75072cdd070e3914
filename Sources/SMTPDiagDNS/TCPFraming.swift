import NIOCore

/// DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): each message is preceded by its length as a
/// 16-bit big-endian number. Pure: returns `nil` until a whole frame is buffered.
public struct DNSTCPFrameParser: Sendable {
    public init() {}

    /// Takes one whole frame's message out of `buffer`, or returns nil and leaves it untouched.
    public mutating func next(from buffer: inout ByteBuffer) -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else { return nil }
        buffer.moveReaderIndex(forwardBy: 2)
        return buffer.readSlice(length: Int(length))
    }

    /// Appends one framed message to `buffer`.
    public static func frame(_ message: ByteBuffer, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(truncatingIfNeeded: message.readableBytes))
        buffer.writeImmutableBuffer(message)
    }

    /// Frames in place a message written after two octets left free in front of it (its readable bytes), so
    /// that it is not copied into a second buffer. False, and `buffer` untouched, when it is too long for a frame.
    public static func frameInPlace(_ buffer: inout ByteBuffer) -> Bool {
        let length = buffer.readableBytes
        guard length <= 0xFFFF, buffer.readerIndex >= 2 else { return false }
        buffer.moveReaderIndex(to: buffer.readerIndex - 2)
        buffer.setInteger(UInt16(length), at: buffer.readerIndex)
        return true
    }
}

/// The channel handler around `DNSTCPFrameParser`.
public struct DNSTCPFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer
    var parser = DNSTCPFrameParser()
    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = parser.next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        try decode(context: context, buffer: &buffer)
    }
}
