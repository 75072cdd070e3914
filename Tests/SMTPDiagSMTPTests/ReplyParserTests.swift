import Foundation
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import SMTPDiagSMTP
@testable import SMTPDiagSMTPWire

func parseAll(_ text: String) throws(SMTPProtocolError) -> [SMTPReply] {
    var parser = SMTPReplyParser()
    var buffer = ByteBuffer(string: text)
    var out: [SMTPReply] = []
    while let r = try parser.next(from: &buffer) { out.append(r) }
    return out
}

@Suite("SMTP replies")
struct ReplyParserTests {
    static let ehlo =
        "250-mx1.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n"

    @Test func multiLineKeepsEveryLine() throws {
        let r = try #require(try parseAll(Self.ehlo).first)
        #expect(r.code == 250)
        #expect(
            r.lines == [
                "mx1.example.test", "PIPELINING", "SIZE 10240000", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME",
            ])
        #expect(r.ehloKeywords == ["PIPELINING", "SIZE", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME"])
        #expect(!r.bareLF)
        #expect(r.description == Self.ehlo.replacingOccurrences(of: "\r\n", with: "\n").dropLast().description)
    }

    @Test func enhancedStatusCodes() throws {
        let rs = try parseAll(
            "550 5.1.1 <x@example.test>: Recipient address rejected\r\n250 2.1.5 Ok\r\n220 mx ESMTP\r\n550 4.1.1 wrong class\r\n"
        )
        #expect(rs.map(\.enhanced) == ["5.1.1", "2.1.5", nil, nil])
        #expect(rs[0].text == "5.1.1 <x@example.test>: Recipient address rejected")
    }

    @Test func bareLFIsToleratedAndNoted() throws {
        let rs = try parseAll("220 hello\n250-a\r\n250 b\n")
        #expect(rs.count == 2)
        #expect(rs.allSatisfy { $0.bareLF })
        #expect(rs[1].lines == ["a", "b"])
    }

    @Test func codeAlone() throws {
        #expect(try parseAll("250\r\n").first?.lines == [""])
    }

    @Test func byteByByteAndRandomSplits() throws {
        let stream = "220 mx1 ESMTP\r\n" + Self.ehlo + "550 5.1.1 no\r\n221 2.0.0 Bye\r\n"
        let whole = try parseAll(stream)
        #expect(whole.count == 4)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<50 {
            var parser = SMTPReplyParser()
            var pending = ByteBuffer()
            var out: [SMTPReply] = []
            let bytes = Array(stream.utf8)
            var i = 0
            while i < bytes.count {
                let n = round == 0 ? 1 : Int.random(in: 1...20, using: &rng)
                pending.writeBytes(bytes[i..<min(bytes.count, i + n)])
                i += n
                while let r = try parser.next(from: &pending) { out.append(r) }
            }
            #expect(out == whole)
        }
    }

    @Test func decoderVerifier() throws {
        let pairs: [(ByteBuffer, [SMTPReply])] = [
            (ByteBuffer(string: "220 ready\r\n"), [SMTPReply(code: 220, lines: ["ready"])]),
            (ByteBuffer(string: Self.ehlo), [try #require(try parseAll(Self.ehlo).first)]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { SMTPReplyDecoder() }
    }

    @Test func lineTooLongIsCaughtBeforeItEnds() {
        var parser = SMTPReplyParser()
        var b = ByteBuffer(string: "250-" + String(repeating: "x", count: 5000))
        #expect(throws: SMTPProtocolError.lineTooLong(limit: 4096)) { try parser.next(from: &b) }
        #expect(throws: SMTPProtocolError.lineTooLong(limit: 4096)) {
            try parseAll("250 " + String(repeating: "x", count: 4093) + "\r\n")
        }
        #expect((try? parseAll("250 " + String(repeating: "x", count: 4092) + "\r\n"))?.count == 1)
    }

    @Test func tooManyLinesAndTooLarge() {
        let many = String(repeating: "250-x\r\n", count: 101) + "250 end\r\n"
        #expect(throws: SMTPProtocolError.tooManyLines(limit: 100)) { try parseAll(many) }
        let large = String(repeating: "250-" + String(repeating: "y", count: 4000) + "\r\n", count: 17)
        #expect(throws: SMTPProtocolError.replyTooLarge(limit: 65536)) { try parseAll(large) }
    }

    @Test(arguments: ["hello\r\n", "2x0 no\r\n", "250x\r\n", "650 no\r\n", "\u{1}\u{2}\u{3}\r\n", "25\r\n"])
    func garbage(_ text: String) {
        #expect(throws: SMTPProtocolError.self) { try parseAll(text) }
    }

    @Test func inconsistentCodes() {
        #expect(throws: SMTPProtocolError.inconsistentCode(first: 250, then: 251)) {
            try parseAll("250-a\r\n251 b\r\n")
        }
    }
}

@Suite("SMTP commands")
struct CommandTests {
    @Test func encodings() throws {
        #expect(
            String(decoding: try SMTPCommand.ehlo("diag.example.net").encoded(), as: UTF8.self)
                == "EHLO diag.example.net\r\n")
        #expect(String(decoding: try SMTPCommand.mailFrom("").encoded(), as: UTF8.self) == "MAIL FROM:<>\r\n")
        #expect(
            String(decoding: try SMTPCommand.rcptTo("a@b.test").encoded(), as: UTF8.self) == "RCPT TO:<a@b.test>\r\n")
        for c in [SMTPCommand.startTLS, .rset, .noop, .quit, .helo("x")] {
            #expect(try c.encoded().suffix(2) == [13, 10])
        }
    }

    @Test(arguments: [
        SMTPCommand.ehlo("a\r\nDATA"), .helo("a\nb"), .mailFrom("a@b\0"), .rcptTo("x@y>\r\nDATA"), .rcptTo("a b@c"),
        .rcptTo(""), .mailFrom("<a@b>"), .rcptTo(String(repeating: "a", count: 300) + "@b"),
    ])
    func injectionIsRefused(_ command: SMTPCommand) {
        #expect(throws: SMTPCommandError.self) { try command.encoded() }
    }

    @Test func nothingThatSendsMailExists() throws {
        // Every command this tool can express; none transfers a message.
        let all: [SMTPCommand] = [
            .ehlo("x"), .helo("x"), .startTLS, .mailFrom("a@b"), .rcptTo("a@b"), .rset, .noop, .quit,
        ]
        for c in all {
            let verb = c.description.split(separator: " ").first.map(String.init) ?? ""
            #expect(!["DATA", "BDAT", "BURL", "SEND", "SOML", "SAML"].contains(verb))
        }
    }

    @Test func cipherFromServerHello() {
        // A TLS 1.3 ServerHello: record header, handshake header, version, random, 32-byte session id, suite.
        var hello: [UInt8] = [0x16, 0x03, 0x03, 0x00, 0x7A, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03]
        hello += Array(repeating: 0xAB, count: 32) + [32] + Array(repeating: 0x01, count: 32) + [0x13, 0x02, 0x00]
        #expect(TLSServerHello.parse(hello) == .cipher(0x1302))
        #expect(TLSServerHello.name(0x1302) == "TLS_AES_256_GCM_SHA384")
        #expect(TLSServerHello.name(0xABCD) == "0xABCD")
        #expect(TLSServerHello.parse(Array(hello.prefix(50))) == .needMore)
        #expect(TLSServerHello.parse(Array("250 not tls at all".utf8)) == .notServerHello)
    }

    @Test func sha256() {
        #expect(
            SHA256.hex(SHA256.hash(Array("abc".utf8)))
                == "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
        #expect(SHA256.hex(SHA256.hash([])) == "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
        let long = Array(repeating: UInt8(ascii: "a"), count: 1000)
        #expect(SHA256.hex(SHA256.hash(long)) == "41EDECE42D63E8D9BF515A9BA6932E1C20CBC9F5A5D134645ADB5DB1B9737EA3")
    }
}
