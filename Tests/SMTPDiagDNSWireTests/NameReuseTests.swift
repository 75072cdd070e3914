import NIOCore
import Testing

@testable import SMTPDiagDNSWire

/// A name read once is given again when a later pointer leads to where it was read: each way a pointer can
/// reach such a name must read as decoding it afresh would, limits included.
@Suite("Names reached again through compression pointers")
struct NameReuseTests {
    func header(qd: Int = 0, an: Int = 0, ns: Int = 0) -> [UInt8] {
        [0x12, 0x34, 0x84, 0x00] + [qd, an, ns, 0].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
    /// TYPE A, CLASS IN, TTL 60.
    let aIn60: [UInt8] = [0, 1, 0, 1, 0, 0, 0, 60]

    @Test func everyWayAPointerReachesAnEarlierName() throws {
        // 12: question example.test; answers: the question's name by a pointer alone (30), a label then that
        // pointer (46), and a label then a pointer to the second answer's name (www.example.test at 46).
        let question = bytes("\u{07}example\u{04}test\u{00}") + [0, 1, 0, 1]
        let first: [UInt8] = [0xC0, 12] + aIn60 + [0, 4, 192, 0, 2, 1]
        let second: [UInt8] = bytes("\u{03}www") + [0xC0, 12] + aIn60 + [0, 4, 192, 0, 2, 2]
        let third: [UInt8] = bytes("\u{04}mail") + [0xC0, 46] + aIn60 + [0, 4, 192, 0, 2, 3]
        let m = try Message.decode(bytes: header(qd: 1, an: 3) + question + first + second + third)
        #expect(m.answers.map(\.name) == ["example.test.", "www.example.test.", "mail.www.example.test."])
        #expect(m.answers.map(\.rdata.description) == ["192.0.2.1", "192.0.2.2", "192.0.2.3"])
    }

    @Test func aMessageReadsBackAsItWasWrittenWithCompression() throws {
        let names: [DomainName] = ["example.test.", "mx1.example.test.", "mx2.EXAMPLE.test.", "example.test."]
        var m = Message(header: Header(id: 9, isResponse: true), questions: [Question(name: names[0], type: .mx)])
        for (i, n) in names.dropFirst().enumerated() {
            m.answers.append(
                ResourceRecord(name: names[0], ttl: 60, rdata: .mx(MX(preference: UInt16(i * 10), exchange: n))))
            m.additionals.append(ResourceRecord(name: n, ttl: 60, rdata: .a(A(address: [192, 0, 2, UInt8(i)]))))
        }
        var wire = try m.encode(compress: true)
        let uncompressed = try m.encode(compress: false)
        #expect(wire.readableBytes < uncompressed.readableBytes)
        let decoded = try Message.decode(from: &wire)
        #expect(decoded == m)
    }

    /// Question k is a one-octet label then a pointer to question k - 1: k pointers, 2k + 3 octets.
    func chain(_ count: Int) -> [UInt8] {
        var out = header(qd: count)
        var previous = 0
        for k in 0..<count {
            let at = out.count
            out += k == 0 ? [1, 0x61, 0] : [1, 0x61, 0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)]
            out += [0, 1, 0, 1]
            previous = at
        }
        return out
    }

    @Test func pointersThroughEarlierNamesAreCountedWhole() throws {
        // 126 pointers (the most allowed) and 255 octets: read.
        let m = try Message.decode(bytes: chain(127))
        #expect(m.questions[126].name.wire.count == 255)
        #expect(m.questions[126].name.labelCount == 127)
        // One more pointer is refused, as decoding the whole chain again would.
        let longer = chain(128)
        let offset = longer.count - 8
        #expect(throws: DNSWireError.tooManyPointers(offset: offset)) { try Message.decode(bytes: longer) }
    }

    @Test func aNameTooLongThroughAnEarlierNameIsRefused() throws {
        // The question is 252 octets; the answer adds an 11-octet label before a pointer to it.
        let labels = [[UInt8]](repeating: Array(repeating: 0x61, count: 61), count: 4) + [[0x62, 0x62]]
        let question: [UInt8] = labels.flatMap { [UInt8($0.count)] + $0 } + [0, 0, 1, 0, 1]
        #expect(question.count - 4 == 252)
        let answer: [UInt8] = [10] + Array(repeating: 0x63, count: 10) + [0xC0, 12] + aIn60 + [0, 4, 192, 0, 2, 1]
        let b = header(qd: 1, an: 1) + question + answer
        #expect(throws: DNSWireError.nameTooLong(offset: 12 + question.count)) { try Message.decode(bytes: b) }
        // Without the extra label the same pointer reads.
        let fits: [UInt8] = [0xC0, 12] + aIn60 + [0, 4, 192, 0, 2, 1]
        #expect(try Message.decode(bytes: header(qd: 1, an: 1) + question + fits).answers[0].name.wire.count == 252)
    }
}
