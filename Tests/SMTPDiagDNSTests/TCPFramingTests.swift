import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import SMTPDiagDNS

@Suite("TCP framing")
struct TCPFramingTests {
    static func framed(_ payloads: [[UInt8]]) -> ByteBuffer {
        var out = ByteBuffer()
        for p in payloads { DNSTCPFrameParser.frame(ByteBuffer(bytes: p), into: &out) }
        return out
    }

    static let payloads: [[UInt8]] = [
        Array(repeating: 0xAB, count: 12), Array(0..<200).map { UInt8($0) }, [],
        Array(repeating: 7, count: 1500), [1],
    ]

    @Test func verifierSplitsEveryWay() throws {
        // NIOTestUtils feeds the input whole, byte by byte and in other splits, and checks the outputs.
        let pairs = Self.payloads.map { (Self.framed([$0]), [ByteBuffer(bytes: $0)]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { DNSTCPFrameDecoder() }
    }

    /// A message written after two free octets is framed where it lies, to the same octets as `frame`; a
    /// message too long for a frame, or one without room in front, is refused and left as it was.
    @Test func framingInPlaceIsFramingByCopy() {
        for p in Self.payloads {
            var buffer = ByteBuffer(bytes: [0xEE, 0xEE] + p)
            buffer.moveReaderIndex(forwardBy: 2)
            #expect(DNSTCPFrameParser.frameInPlace(&buffer))
            #expect(Array(buffer.readableBytesView) == Array(Self.framed([p]).readableBytesView))
        }
        var tooLong = ByteBuffer(bytes: [UInt8](repeating: 1, count: 2 + 0x10000))
        tooLong.moveReaderIndex(forwardBy: 2)
        #expect(!DNSTCPFrameParser.frameInPlace(&tooLong))
        #expect(tooLong.readerIndex == 2 && tooLong.readableBytes == 0x10000)
        var noRoom = ByteBuffer(bytes: [1, 2, 3])
        #expect(!DNSTCPFrameParser.frameInPlace(&noRoom))
        #expect(Array(noRoom.readableBytesView) == [1, 2, 3])
    }

    @Test func byteByByte() throws {
        var parser = DNSTCPFrameParser()
        let all = Self.framed(Self.payloads)
        var pending = ByteBuffer()
        var out: [[UInt8]] = []
        for b in all.readableBytesView {
            pending.writeInteger(b)
            while let frame = parser.next(from: &pending) { out.append(Array(frame.readableBytesView)) }
        }
        #expect(out == Self.payloads)
        #expect(pending.readableBytes == 0)
    }

    @Test(arguments: [1, 2, 3, 42, 9999])
    func randomSplits(_ seed: UInt64) throws {
        var rng = SplitMix(seed)
        let all = Array(Self.framed(Self.payloads + Self.payloads).readableBytesView)
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(DNSTCPFrameDecoder()))
        var i = 0
        while i < all.count {
            let n = Int.random(in: 1...200, using: &rng)
            try channel.writeInbound(ByteBuffer(bytes: all[i..<min(all.count, i + n)]))
            i += n
        }
        var out: [[UInt8]] = []
        while let frame = try channel.readInbound(as: ByteBuffer.self) { out.append(Array(frame.readableBytesView)) }
        #expect(out == Self.payloads + Self.payloads)
        _ = try channel.finish()
    }

    @Test func incompleteFrameWaits() {
        var parser = DNSTCPFrameParser()
        var b = ByteBuffer(bytes: [0, 5, 1, 2, 3])
        #expect(parser.next(from: &b) == nil)
        #expect(b.readableBytes == 5)
        b.writeBytes([4, 5, 6])
        #expect(parser.next(from: &b).map { Array($0.readableBytesView) } == [1, 2, 3, 4, 5])
        #expect(b.readableBytes == 1)
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
