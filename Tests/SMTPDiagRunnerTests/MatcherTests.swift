import SMTPDiagDNSWire
import SMTPDiagSMTPWire
import SMTPDiagSpec
import Testing

@testable import SMTPDiagPlan
@testable import SMTPDiagRunner

@Suite("Matchers")
struct MatcherTests {
    static let here = SourceLocation(file: "t.yaml", line: 1, column: 1)

    static func rr(_ type: RecordType, _ text: String, ttl: UInt32 = 3600) -> ResourceRecord {
        ResourceRecord(
            name: "example.test.", ttl: ttl,
            rdata: (try? RData(type: type, presentation: text)) ?? .unknown(type: type, data: []))
    }

    @Test func exactSetReportsMissingAndExtra() throws {
        let e = RecordSetExpectation(
            equals: [
                try RData(type: .mx, presentation: "10 mx1.example.test."),
                try RData(type: .mx, presentation: "20 mx9.example.test."),
            ],
            location: Self.here)
        let v = Matchers.recordSet([Self.rr(.mx, "10 MX1.example.test."), Self.rr(.mx, "20 mx2.example.test.")], e)
        #expect(!v.pass)
        #expect(v.missing == ["20 mx9.example.test."])
        #expect(v.extra == ["20 mx2.example.test."])
        let ok = Matchers.recordSet([Self.rr(.mx, "20 mx9.example.test."), Self.rr(.mx, "10 mx1.EXAMPLE.test.")], e)
        #expect(ok.pass)
    }

    @Test func txtComparesTheJoinedText() throws {
        let e = RecordSetExpectation(contains: [.txt(TXT(["v=spf1 mx -all"]))], location: Self.here)
        #expect(Matchers.recordSet([Self.rr(.txt, "\"v=spf1 \" \"mx -all\"")], e).pass)
        #expect(!Matchers.recordSet([Self.rr(.txt, "\"v=spf1 -all\"")], e).pass)
    }

    @Test func countAbsentExcludesTTL() throws {
        let two = [Self.rr(.a, "127.0.0.1", ttl: 60), Self.rr(.a, "127.0.0.2", ttl: 7200)]
        #expect(Matchers.recordSet(two, RecordSetExpectation(count: .exact(2), location: Self.here)).pass)
        #expect(
            !Matchers.recordSet(two, RecordSetExpectation(count: .range(min: 3, max: nil), location: Self.here)).pass)
        #expect(Matchers.recordSet([], RecordSetExpectation(absent: true, location: Self.here)).pass)
        let absent = Matchers.recordSet(two, RecordSetExpectation(absent: true, location: Self.here))
        #expect(!absent.pass && absent.extra == ["127.0.0.1", "127.0.0.2"])
        let excl = Matchers.recordSet(
            two, RecordSetExpectation(excludes: [try RData(type: .a, presentation: "127.0.0.2")], location: Self.here))
        #expect(!excl.pass && excl.extra == ["127.0.0.2"])
        let ttl = Matchers.recordSet(two, RecordSetExpectation(ttl: .range(min: nil, max: 3600), location: Self.here))
        #expect(!ttl.pass && ttl.message.contains("127.0.0.2 has 7200"))
    }

    @Test func serialConsistencyWithRFC1982() {
        #expect(Matchers.serials([("a", 5), ("b", 5)], maxDrift: 0).pass)
        #expect(!Matchers.serials([("a", 2024010100), ("b", 2024010105)], maxDrift: 0).pass)
        #expect(Matchers.serials([("a", 2024010100), ("b", 2024010105)], maxDrift: 5).pass)
        // Across the wrap: 4294967295 and 3 are 4 apart.
        #expect(Matchers.serials([("a", 4_294_967_295), ("b", 3)], maxDrift: 4).pass)
        #expect(!Matchers.serials([("a", 4_294_967_295), ("b", 3)], maxDrift: 3).pass)
        #expect(!Matchers.serials([("a", 0), ("b", 0x8000_0000)], maxDrift: 0x7FFF_FFFF).pass)
    }

    @Test func replies() {
        #expect(
            Matchers.reply(
                code: 550, enhanced: "5.1.1", text: "5.1.1 unknown",
                .detailed(code: .exact(550), enhanced: "5.1.1", text: nil)
            ).pass)
        let v = Matchers.reply(code: 250, enhanced: "2.1.5", text: "2.1.5 Ok", .replyClass(5))
        #expect(!v.pass && v.actual == "250 2.1.5 Ok" && v.expected == "5xx")
    }
}

@Suite("SMTP step judgement")
struct SMTPJudgeTests {
    static let here = SourceLocation(file: "t.yaml", line: 1, column: 1)

    static func plan() -> SMTPSessionPlan {
        SMTPSessionPlan(
            target: .mx(domain: "example.test."),
            settings: SMTPSessionSettings(
                port: 25, helo: "h", mailFrom: "", connectTimeout: .seconds(1), bannerTimeout: .seconds(1),
                commandTimeout: .seconds(1), starttls: .optional, tlsVerify: true, tlsCAFile: nil),
            banner: .replyClass(2), ehlo: .replyClass(2), extensions: [], starttls: .exact(220), mailFrom: nil,
            rcpt: [],
            quit: .replyClass(2), resolver: .system, resolverTransport: .udp)
    }

    static func reply(_ code: Int, _ lines: [String]) -> SMTPReply { SMTPReply(code: code, lines: lines) }

    @Test func startTLSNotOfferedFails() {
        var record = SMTPSessionRecord()
        record.banner = Self.reply(220, ["mx ESMTP"])
        record.ehlo = Self.reply(250, ["mx", "PIPELINING"])
        record.quit = Self.reply(221, ["Bye"])
        var r = CheckResult(
            id: "x", planID: "x", status: .error, message: "", location: Self.here, domain: "example.test", tags: [])
        Runner.judge(.starttls, plan: Self.plan(), record: record, into: &r)
        #expect(r.status == .fail)
        #expect(r.message == "STARTTLS is not offered")
    }

    @Test func startTLSOfferedAndAccepted() {
        var record = SMTPSessionRecord()
        record.ehlo = Self.reply(250, ["mx", "STARTTLS"])
        record.starttls = Self.reply(220, ["2.0.0 Ready to start TLS"])
        var r = CheckResult(
            id: "x", planID: "x", status: .error, message: "", location: Self.here, domain: "example.test", tags: [])
        Runner.judge(.starttls, plan: Self.plan(), record: record, into: &r)
        #expect(r.status == .pass)
    }
}
