import NIOCore
import SMTPDiagSMTPWire

/// libFuzzer entry point: any bytes, fed whole and then in two parts, must give the same replies or
/// the same protocol error, within the parser's bounds. A crash, hang or trap is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSMTPReplies(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    func parse(_ chunks: [ArraySlice<UInt8>]) -> ([SMTPReply], SMTPProtocolError?) {
        var parser = SMTPReplyParser()
        var buffer = ByteBuffer()
        var out: [SMTPReply] = []
        for chunk in chunks {
            buffer.writeBytes(chunk)
            do {
                while let r = try parser.next(from: &buffer) {
                    precondition(r.lines.count <= SMTPReplyParser.maxLines)
                    precondition((200...599).contains(r.code))
                    out.append(r)
                }
            } catch {
                return (out, error)
            }
        }
        return (out, nil)
    }
    let whole = parse([bytes[...]])
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    let split = parse([bytes[..<cut], bytes[cut...]])
    precondition(whole.0 == split.0, "splitting the input changed the replies")
    precondition((whole.1 == nil) == (split.1 == nil), "splitting the input changed whether it fails")
    return 0
}
