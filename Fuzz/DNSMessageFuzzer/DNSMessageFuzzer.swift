import NIOCore
import SMTPDiagDNSWire

/// libFuzzer entry point: any bytes must decode to a message or fail with a `DNSWireError`; a message
/// that decodes must encode and decode again to an equal message. A crash, hang or trap is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSMessage(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    var buffer = ByteBuffer(bytes: bytes)
    guard let message = try? Message.decode(from: &buffer) else { return 0 }
    for compress in [true, false] {
        guard var encoded = try? message.encode(compress: compress) else { continue }
        do {
            let again = try Message.decode(from: &encoded)
            precondition(again == message, "re-encoded message differs")
        } catch {
            preconditionFailure("re-encoded message does not decode: \(error)")
        }
    }
    // Presentation of every record must not trap either, and every owner name must read back as itself
    // from its presentation (escapes included).
    for rr in message.answers + message.authorities + message.additionals {
        _ = rr.description
        let text = rr.name.description
        guard let again = try? DomainName(parsing: text) else { preconditionFailure("\(text) does not parse") }
        precondition(again == rr.name && again.wire == rr.name.wire, "\(text) reads back as another name")
    }
    return 0
}
