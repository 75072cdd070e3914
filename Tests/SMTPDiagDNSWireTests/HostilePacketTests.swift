import NIOCore
import Testing

@testable import SMTPDiagDNSWire

/// Packets built to hurt: each must end as a clear error with its offset, never a crash or a hang.
@Suite("Hostile packets")
struct HostilePacketTests {
    /// A header with the given counts.
    static func header(
        id: UInt16 = 0x1234, flags: UInt16 = 0x8400, qd: UInt16 = 0, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0
    )
        -> [UInt8]
    {
        [id, flags, qd, an, ns, ar].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    static let question: [UInt8] = bytes("\u{07}example\u{04}test\u{00}") + [0, 1, 0, 1]

    func decode(_ b: [UInt8]) throws(DNSWireError) -> Message { try Message.decode(bytes: b) }

    @Test func compressionLoop() {
        // The question name is a pointer to itself.
        let b = Self.header(qd: 1) + [0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSWireError.pointerNotBackwards(offset: 12, target: 12)) { try decode(b) }
    }

    @Test func twoPointerLoop() {
        // The answer's name is a label then a pointer back to that label: a loop, stopped by the pointer cap (each turn adds 2 octets, so 126 pointers come before 255 octets).
        let b = Self.header(qd: 1, an: 1) + Self.question + [1, 0x61, 0xC0, 30] + [0, 1, 0, 1, 0, 0, 0, 0, 0, 0]
        #expect(throws: DNSWireError.tooManyPointers(offset: 30)) { try decode(b) }
    }

    @Test func forwardPointer() {
        let b = Self.header(qd: 1) + [0xC0, 40, 0, 1, 0, 1] + Array(repeating: 0, count: 30)
        #expect(throws: DNSWireError.pointerNotBackwards(offset: 12, target: 40)) { try decode(b) }
    }

    @Test func labelOver63() {
        let b = Self.header(qd: 1) + [64] + Array(repeating: 0x61, count: 64) + [0, 0, 1, 0, 1]
        #expect(throws: DNSWireError.reservedLabelType(offset: 12, byte: 64)) { try decode(b) }
    }

    @Test func nameOver255() {
        let labels = (0..<5).flatMap { _ in [UInt8(60)] + Array(repeating: UInt8(0x61), count: 60) }
        let b = Self.header(qd: 1) + labels + [0, 0, 1, 0, 1]
        #expect(throws: DNSWireError.nameTooLong(offset: 12)) { try decode(b) }
    }

    @Test func rdataPastRdlength() {
        // An A record that claims 3 octets of RDATA.
        let rr: [UInt8] = [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 127, 0, 0, 1]
        let b = Self.header(qd: 1, an: 1) + Self.question + rr
        #expect(throws: DNSWireError.rdataLength(type: "A", offset: 42, declared: 3, used: 4)) { try decode(b) }
    }

    @Test func mxNameRunsPastRdlength() {
        // MX with RDLENGTH 4 whose exchange name needs more octets than that.
        let rr: [UInt8] = [0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 4, 0, 10, 3, 0x6D, 0x78, 0x31, 0xC0, 12]
        let b = Self.header(qd: 1, an: 1) + Self.question + rr
        #expect(throws: DNSWireError.rdataLength(type: "MX", offset: 42, declared: 4, used: 8)) { try decode(b) }
    }

    @Test func rdlengthPastTheMessage() {
        let rr: [UInt8] = [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0xFF, 0xFF, 3, 0x61, 0x62, 0x63]
        let b = Self.header(qd: 1, an: 1) + Self.question + rr
        #expect(throws: DNSWireError.truncated(field: "TXT.rdata", offset: 42, needed: 65535 - 4)) { try decode(b) }
    }

    @Test func countsLargerThanWhatIsPresent() {
        let b = Self.header(qd: 1, an: 65535, ns: 65535, ar: 65535) + Self.question
        #expect(throws: DNSWireError.self) { try decode(b) }
        let small = Self.header(qd: 2) + Self.question
        #expect(throws: DNSWireError.truncated(field: "question[1].name", offset: 30, needed: 1)) { try decode(small) }
    }

    @Test func trailingGarbage() {
        let b = Self.header(qd: 1) + Self.question + [0xDE, 0xAD]
        #expect(throws: DNSWireError.trailingBytes(offset: 30, count: 2)) { try decode(b) }
    }

    @Test func shortHeader() {
        #expect(throws: DNSWireError.truncated(field: "header.qdcount", offset: 4, needed: 1)) {
            try decode([0, 1, 0x84, 0, 0])
        }
        #expect(throws: DNSWireError.self) { try decode([]) }
    }

    @Test func twoOPTRecordsAndOPTInAnswers() {
        let opt: [UInt8] = [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]
        #expect(throws: DNSWireError.self) { try decode(Self.header(qd: 1, ar: 2) + Self.question + opt + opt) }
        #expect(throws: DNSWireError.self) { try decode(Self.header(qd: 1, an: 1) + Self.question + opt) }
    }

    @Test func txtStringPastRdata() {
        let rr: [UInt8] = [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 5, 0x61, 0x62]
        #expect(throws: DNSWireError.self) { try decode(Self.header(qd: 1, an: 1) + Self.question + rr) }
    }

    @Test func caaTagLengthPastRdata() {
        let rr: [UInt8] = [0xC0, 12, 1, 1, 0, 1, 0, 0, 0, 60, 0, 3, 0, 9, 0x61]
        #expect(throws: DNSWireError.self) { try decode(Self.header(qd: 1, an: 1) + Self.question + rr) }
    }

    @Test func errorsNameTheirOffset() {
        let b = Self.header(qd: 1) + [0xC0, 40, 0, 1, 0, 1] + Array(repeating: 0, count: 30)
        do {
            _ = try decode(b)
        } catch {
            #expect(error.offset == 12)
            #expect(error.description.contains("byte 12"))
        }
    }

    /// Random corruption of every golden packet: decoding ends in a value or an error, every time.
    @Test func mutatedGoldenPacketsNeverCrash() throws {
        var rng = SplitMix64(seed: 0x5EED)
        var decoded = 0
        var failed = 0
        for entry in Fixtures.manifest {
            let original = try Fixtures.bytes(entry)
            for _ in 0..<300 {
                var b = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    case 1: b = Array(b.prefix(Int.random(in: 0...b.count, using: &rng)))
                    default:
                        b.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...b.count, using: &rng))
                    }
                    if b.isEmpty { break }
                }
                do {
                    let m = try Message.decode(bytes: b)
                    var again = try m.encode()
                    #expect(try Message.decode(from: &again) == m)
                    decoded += 1
                } catch {
                    failed += 1
                }
            }
        }
        #expect(decoded + failed == Fixtures.manifest.count * 300)
        #expect(failed > 0)
    }
}

/// A small deterministic generator, so a failing mutation can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
