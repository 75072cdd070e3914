import NIOCore

/// Reads replies from bytes as they arrive (RFC 5321 §4.2.1). Pure: it returns a reply, or nil for
/// "need more data", or throws. Bounded: a line over 4,096 octets, a reply of over 100 lines or over
/// 64 KiB is a protocol error, detected as soon as the bytes show it, never buffered without end.
public struct SMTPReplyParser: Sendable {
    public static let maxLineLength = 4096
    public static let maxLines = 100
    public static let maxReplySize = 64 * 1024

    private var lines: [String] = []
    private var code: Int? = nil
    private var size = 0
    private var bareLF = false

    public init() {}

    public mutating func next(from buffer: inout ByteBuffer) throws(SMTPProtocolError) -> SMTPReply? {
        while true {
            let view = buffer.readableBytesView
            guard let lf = view.firstIndex(of: 0x0A) else {
                if view.count > Self.maxLineLength + 1 { throw .lineTooLong(limit: Self.maxLineLength) }
                if size + view.count > Self.maxReplySize { throw .replyTooLarge(limit: Self.maxReplySize) }
                return nil
            }
            let lineLength = lf - view.startIndex
            var content = view[view.startIndex..<lf]
            if content.last == 0x0D {
                content = content.dropLast()
            } else {
                bareLF = true
            }
            if content.count > Self.maxLineLength { throw .lineTooLong(limit: Self.maxLineLength) }
            size += lineLength + 1
            if size > Self.maxReplySize { throw .replyTooLarge(limit: Self.maxReplySize) }
            let bytes = Array(content)
            buffer.moveReaderIndex(forwardBy: lineLength + 1)

            guard bytes.count >= 3, bytes[0] >= 0x32, bytes[0] <= 0x35, bytes[1] >= 0x30, bytes[1] <= 0x35,
                bytes[2] >= 0x30, bytes[2] <= 0x39, bytes.count == 3 || bytes[3] == 0x20 || bytes[3] == 0x2D
            else {
                throw .malformedLine(Self.excerpt(bytes))
            }
            let lineCode = Int(bytes[0] - 0x30) * 100 + Int(bytes[1] - 0x30) * 10 + Int(bytes[2] - 0x30)
            if let code, code != lineCode { throw .inconsistentCode(first: code, then: lineCode) }
            code = lineCode
            lines.append(String(decoding: bytes.dropFirst(min(4, bytes.count)), as: UTF8.self))
            if lines.count > Self.maxLines { throw .tooManyLines(limit: Self.maxLines) }
            let last = bytes.count == 3 || bytes[3] == 0x20
            if last {
                let reply = SMTPReply(code: lineCode, lines: lines, bareLF: bareLF)
                self = SMTPReplyParser()
                return reply
            }
        }
    }

    /// Printable excerpt of a bad line for error messages.
    public static func excerpt(_ bytes: [UInt8]) -> String {
        let head = bytes.prefix(60).map { b -> String in
            (0x20...0x7E).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
        }.joined()
        return bytes.count > 60 ? head + "..." : head
    }
}

/// The channel handler around `SMTPReplyParser`.
public struct SMTPReplyDecoder: ByteToMessageDecoder {
    public typealias InboundOut = SMTPReply
    var parser = SMTPReplyParser()
    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let reply = try parser.next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(reply))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        try decode(context: context, buffer: &buffer)
    }
}
