import NIOCore
import Testing

@testable import SMTPDiagDNSWire

@Suite("Messages: header, EDNS, encode and decode")
struct MessageTests {
    @Test(arguments: 0..<16)
    func everyHeaderFlag(_ bit: Int) throws {
        let flags = UInt16(1 << bit)
        let header = Header(id: 0xBEEF, flags: flags)
        #expect(header.flags == flags)
        let m = Message(header: header)
        var buffer = try m.encode()
        let decoded = try Message.decode(from: &buffer)
        #expect(decoded.header == header)
    }

    @Test func flagsByName() {
        let h = Header(
            id: 1, isResponse: true, opcode: .notify, authoritative: true, truncated: true, recursionDesired: true,
            recursionAvailable: true, authenticData: true, checkingDisabled: true, rcodeLow: 3)
        #expect(h.flagNames == ["qr", "aa", "tc", "rd", "ra", "ad", "cd"])
        #expect(h.opcode == .notify)
        #expect(Header(id: 1, flags: h.flags) == h)
    }

    @Test func extendedRcodeComesFromOPT() throws {
        var m = Message(header: Header(id: 7, isResponse: true))
        m.rcode = .badCookie
        #expect(m.header.rcodeLow == 7)
        #expect(m.edns?.extendedRcode == 1)
        var b = try m.encode()
        let d = try Message.decode(from: &b)
        #expect(d.rcode == .badCookie)
        #expect(d.rcode.description == "BADCOOKIE")
        m.rcode = .nxDomain
        #expect(m.rcode == .nxDomain)
    }

    @Test func ednsFields() throws {
        let edns = EDNS(
            udpPayloadSize: 4096, extendedRcode: 0, version: 0, dnssecOK: true,
            options: [OPT.Option(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])])
        let q = Message.query(id: 1, name: "example.test.", type: .mx, edns: edns)
        var b = try q.encode()
        let d = try Message.decode(from: &b)
        #expect(d.edns == edns)
        #expect(d.additionals.isEmpty)
        #expect(d.questions == [Question(name: "example.test.", type: .mx)])
    }

    @Test func compressedAndPlainEncodingsDecodeAlike() throws {
        var m = Message(header: Header(id: 9, isResponse: true, authoritative: true))
        m.questions = [Question(name: "example.test.", type: .mx)]
        m.answers = [
            ResourceRecord(
                name: "example.test.", ttl: 3600, rdata: .mx(MX(preference: 10, exchange: "mx1.example.test."))),
            ResourceRecord(
                name: "example.test.", ttl: 3600, rdata: .mx(MX(preference: 20, exchange: "mx2.example.test."))),
        ]
        m.additionals = [ResourceRecord(name: "mx1.example.test.", ttl: 60, rdata: .a(A(address: [127, 0, 0, 11])))]
        m.edns = EDNS()
        var c = try m.encode(compress: true)
        var p = try m.encode(compress: false)
        #expect(c.readableBytes < p.readableBytes)
        #expect(try Message.decode(from: &c) == m)
        #expect(try Message.decode(from: &p) == m)
    }

    @Test func oversizedMessageIsAnErrorNotACrash() {
        var m = Message(header: Header(id: 1))
        let big = TXT(strings: Array(repeating: Array(repeating: 0x61, count: 255), count: 200))
        m.answers = Array(repeating: ResourceRecord(name: "x.", ttl: 0, rdata: .txt(big)), count: 3)
        #expect(throws: DNSWireError.self) { try m.encode() }
    }

    /// The query written directly is the query message encoded, octet for octet.
    @Test(arguments: [(true, true), (true, false), (false, true), (false, false)])
    func queryWrittenDirectlyIsTheEncodedMessage(_ recursion: Bool, _ withEDNS: Bool) throws {
        let edns: EDNS? = withEDNS ? EDNS(udpPayloadSize: 1232, dnssecOK: true) : nil
        for (name, type) in [("example.test.", RecordType.mx), ("_25._tcp.MX1.Example.TEST.", .tlsa), (".", .ns)] {
            let question = Question(name: try DomainName(parsing: name), type: type)
            let message = Message.query(
                id: 0xBEEF, name: question.name, type: type, recursionDesired: recursion, edns: edns)
            var writer = WireWriter()
            try Message.encodeQuery(
                id: 0xBEEF, question: question, recursionDesired: recursion, edns: edns, to: &writer)
            #expect(Array(writer.buffer.readableBytesView) == Array(try message.encode().readableBytesView))
        }
    }
}
