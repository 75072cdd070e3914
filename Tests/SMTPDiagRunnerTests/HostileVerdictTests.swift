import Foundation
import NIOConcurrencyHelpers
import SMTPDiagDNSWire
import SMTPDiagFamilies
import SMTPDiagSMTP
import SMTPDiagSMTPWire
import SMTPDiagSpec
import SMTPDiagTestSupport
import Testing

@testable import SMTPDiagDNS
@testable import SMTPDiagPlan
@testable import SMTPDiagRunner

/// Keeps the TLS settings each session was asked for.
final class TLSSettingsProbe: SMTPProbe, @unchecked Sendable {
    let seen = NIOLockedValueBox<[SMTPTLSSettings]>([])
    func session(
        address: String, port: Int, serverName: String?, configuration: SMTPSessionConfiguration, tls: SMTPTLSSettings
    ) async -> SMTPSessionRecord {
        seen.withLockedValue { $0.append(tls) }
        return HostileVerdictTests.banner
    }
}

@Suite("Verdicts a hostile or broken server must not turn into a pass or a wrong failure")
struct HostileVerdictTests {
    static func plan(_ yaml: String) throws -> CheckPlan {
        let loaded = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data(yaml.utf8), path: "hostile.yaml")
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let compiled = PlanCompiler(families: Families.builtin.plan).compile(loaded.files)
        #expect(compiled.diagnostics.isEmpty, "\(compiled.diagnostics)")
        return compiled.plan
    }

    static func run(_ yaml: String, dns: ScriptedDNS, smtp: any SMTPProbe = NoSMTP()) async throws -> RunReport {
        let (results, _) = await Runner(dns: dns, smtp: smtp).run(try plan(yaml))
        return RunReport(results: results, started: 0, duration: .zero, interrupted: false, files: [])
    }

    static let mxZone = """
        version: 1
        dns_servers: { a: 127.0.0.10 }
        defaults: { dns: { servers: [a], transports: [udp] } }
        domains:
          example.test:
            mx: ["10 mx1", "20 mx2"]
            smtp: { expect: { banner: 220 } }

        """

    /// MX answered; mx2's A as the test says, its AAAA NODATA; mx1 has an address.
    static func mxDNS(_ mx2A: ScriptedDNS.Reply) -> ScriptedDNS {
        ScriptedDNS { q in
            switch (q.name.description, q.type) {
            case ("example.test.", .mx):
                return .records([
                    .mx(MX(preference: 10, exchange: "mx1.example.test.")),
                    .mx(MX(preference: 20, exchange: "mx2.example.test.")),
                ])
            case ("mx1.example.test.", .a): return .records([.a(A(address: [127, 0, 0, 11]))])
            case ("mx2.example.test.", .a): return mx2A
            default: return .records([])
            }
        }
    }

    static let banner: SMTPSessionRecord = {
        var r = SMTPSessionRecord()
        r.banner = SMTPReply(code: 220, lines: ["mx ESMTP"])
        r.quit = SMTPReply(code: 221, lines: ["bye"])
        return r
    }()

    @Test(arguments: [ScriptedDNS.Reply.rcode(2), .timeout])
    func anUnusableAddressAnswerIsAnErrorNeverNoAddress(_ reply: ScriptedDNS.Reply) async throws {
        let report = try await Self.run(Self.mxZone, dns: Self.mxDNS(reply), smtp: ScriptedSMTP(record: Self.banner))
        let resolves = report.results.filter { $0.id.rawValue.contains("mx_resolves") }
        #expect(!resolves.isEmpty)
        for r in resolves {
            #expect(r.status == .error, "\(r.id): \(r.status) \(r.message)")
            #expect(!r.message.contains("no address for"), "\(r.message)")
        }
        let hosts = try #require(report.results.first { $0.id.rawValue.contains("smtp.hosts") })
        #expect(hosts.status == .error, "\(hosts.message)")
        #expect(report.count(.fail) == 0)
        #expect(report.exitCode == 3)
    }

    @Test func anMXWhoseAddressWasLostIsReportedNotDropped() async throws {
        // mx2's A times out (a lost packet), AAAA is NODATA: mx1 is still checked, and mx2's steps are errors of
        // their own, never missing from the report.
        let probe = TLSSettingsProbe()
        let report = try await Self.run(Self.mxZone, dns: Self.mxDNS(.timeout), smtp: probe)
        let banners = report.results.filter { $0.id.rawValue.hasSuffix("/banner") }
        #expect(
            banners.map(\.id.rawValue).sorted() == [
                "example.test/smtp@mx1.example.test[127.0.0.11]:25/banner",
                "example.test/smtp@mx2.example.test:25/banner",
            ])
        #expect(banners.first { $0.id.rawValue.contains("mx1") }?.status == .pass)
        let lost = try #require(banners.first { $0.id.rawValue.contains("mx2") })
        #expect(lost.status == .error)
        #expect(lost.message.hasPrefix("the address of mx2.example.test could not be learned: A: "), "\(lost.message)")
        #expect(probe.seen.withLockedValue { $0.count } == 1)
        #expect(report.exitCode == 3)
    }

    @Test func aRealMissingAddressStillFails() async throws {
        let report = try await Self.run(
            Self.mxZone, dns: Self.mxDNS(.records([])), smtp: ScriptedSMTP(record: Self.banner))
        let resolves = try #require(report.results.first { $0.id.rawValue.contains("mx_resolves") })
        #expect(resolves.status == .fail)
        #expect(resolves.message == "no address for mx2.example.test.")
    }

    @Test func anAnswerThatFansOutTooFarIsAnError() async throws {
        let dns = ScriptedDNS { q in
            if q.type == .mx {
                return .records(
                    (0..<40).map {
                        .mx(
                            MX(
                                preference: UInt16($0),
                                exchange: (try? DomainName(parsing: "m\($0).example.test.")) ?? "m.example.test."))
                    })
            }
            return .records([.a(A(address: [127, 0, 0, 11]))])
        }
        let report = try await Self.run(Self.mxZone, dns: dns, smtp: ScriptedSMTP(record: Self.banner))
        let hosts = try #require(report.results.first { $0.id.rawValue.contains("smtp.hosts") })
        #expect(hosts.status == .error)
        #expect(hosts.message.contains("40 MX exchanges"))
        let resolves = try #require(report.results.first { $0.id.rawValue.contains("mx_resolves") })
        #expect(resolves.status == .error)
    }

    static func smtpSpec(_ expect: String) -> String {
        """
        version: 1
        dns_servers: { a: 127.0.0.10 }
        defaults: { dns: { servers: [a], transports: [udp] }, smtp: { mail_from: postmaster@example.test } }
        domains:
          example.test:
            smtp:
              hosts: [127.0.0.99]
              expect: { \(expect) }

        """
    }

    /// STARTTLS worked, then the server refused the EHLO inside TLS.
    static let refusedAfterTLS: SMTPSessionRecord = {
        var r = SMTPSessionRecord()
        r.banner = SMTPReply(code: 220, lines: ["mx ESMTP"])
        r.ehlo = SMTPReply(code: 250, lines: ["mx", "STARTTLS"])
        r.starttls = SMTPReply(code: 220, lines: ["go ahead"])
        r.tls = TLSInfo(
            version: "TLSv1.3", cipher: nil, subject: "CN=mx", issuer: "CN=ca", subjectAlternativeNames: [],
            notValidBefore: 0, notValidAfter: 0, certificateSHA256: "", spkiSHA256: "", verified: false)
        r.ehloAfterTLS = SMTPReply(code: 554, lines: ["5.7.1 go away"])
        r.quit = SMTPReply(code: 221, lines: ["bye"])
        return r
    }()

    @Test func stepsNeverReachedAfterAnUnassertedRefusalFail() async throws {
        // MAIL FROM is refused as its own expectation says, so nothing has failed yet; but the RCPT the spec
        // expects is never sent. That must fail the run, not skip quietly.
        var record = Self.refusedAfterTLS
        record.ehloAfterTLS = SMTPReply(code: 250, lines: ["mx"])
        record.mailFrom = SMTPReply(code: 451, lines: ["4.3.0 try later"])
        let report = try await Self.run(
            Self.smtpSpec("mail_from: 451, rcpt: { postmaster: 250 }, quit: 221"), dns: Self.mxDNS(.records([])),
            smtp: ScriptedSMTP(record: record))
        #expect(report.results.first { $0.id.rawValue.hasSuffix("/mail_from") }?.status == .pass)
        let rcpt = try #require(report.results.first { $0.id.rawValue.hasSuffix("/rcpt[postmaster]") })
        #expect(rcpt.status == .fail)
        #expect(rcpt.message == "not reached: MAIL FROM got 451 4.3.0 try later")
        #expect(report.exitCode == 1)
    }

    @Test func anEHLORefusedInsideTLSFailsTheRun() async throws {
        // The default `ehlo: 2xx` judges the EHLO after TLS as well; the steps after it are then skipped.
        let report = try await Self.run(
            Self.smtpSpec("mail_from: 250, rcpt: { postmaster: 250 }, quit: 221"), dns: Self.mxDNS(.records([])),
            smtp: ScriptedSMTP(record: Self.refusedAfterTLS))
        let ehlo = try #require(report.results.first { $0.id.rawValue.hasSuffix("/ehlo") })
        #expect(ehlo.status == .fail)
        #expect(ehlo.message.hasPrefix("EHLO after TLS: "), "\(ehlo.message)")
        #expect(report.results.first { $0.id.rawValue.hasSuffix("/mail_from") }?.status == .skip)
        #expect(report.exitCode == 1)
    }

    @Test func theEHLOExpectationJudgesTheEHLOAfterTLSToo() async throws {
        let report = try await Self.run(
            Self.smtpSpec("ehlo: 250, mail_from: 250"), dns: Self.mxDNS(.records([])),
            smtp: ScriptedSMTP(record: Self.refusedAfterTLS))
        let ehlo = try #require(report.results.first { $0.id.rawValue.hasSuffix("/ehlo") })
        #expect(ehlo.status == .fail)
        #expect(ehlo.message.hasPrefix("EHLO after TLS: "))
        // Its failure already tells why MAIL FROM never came: skipped, and the run still fails.
        let mail = try #require(report.results.first { $0.id.rawValue.hasSuffix("/mail_from") })
        #expect(mail.status == .skip)
        #expect(report.exitCode == 1)
    }

    @Test func theSpecsTLSFloorReachesTheSession() async throws {
        for (setting, expected) in [("", SMTPTLSVersion.tls12), (", tls_min_version: \"1.3\"", .tls13)] {
            let probe = TLSSettingsProbe()
            let spec = Self.smtpSpec("banner: 220").replacingOccurrences(
                of: "mail_from: postmaster@example.test", with: "mail_from: postmaster@example.test\(setting)")
            _ = try await Self.run(spec, dns: Self.mxDNS(.records([])), smtp: probe)
            #expect(probe.seen.withLockedValue { $0.map(\.minimumVersion) } == [expected])
        }
    }

    @Test func timesAreRFC3339AndEachStepHasItsOwnDuration() {
        #expect(rfc3339(0) == "1970-01-01T00:00:00Z")
        #expect(rfc3339(1_795_966_855) == "2026-11-29T15:40:55Z")
        #expect(rfc3339(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(rfc3339(-1) == "1969-12-31T23:59:59Z")
        var record = SMTPSessionRecord()
        func line(_ ms: Int, _ d: TranscriptLine.Direction, _ t: String) -> TranscriptLine {
            TranscriptLine(at: .milliseconds(ms), direction: d, text: t)
        }
        record.transcript = [
            line(0, .info, "connected to 127.0.0.11:25"), line(40, .received, "220 mx"),
            line(41, .sent, "EHLO diag.example.net"), line(46, .received, "250 mx"),
            line(47, .sent, "MAIL FROM:<>"), line(50, .received, "250 ok"),
            line(51, .sent, "RCPT TO:<a@x.test>"), line(151, .received, "550 no"), line(152, .sent, "QUIT"),
            line(153, .received, "221 bye"),
        ]
        #expect(Runner.stepDuration(.banner, record) == .milliseconds(40))
        #expect(Runner.stepDuration(.ehlo, record) == .milliseconds(5))
        #expect(Runner.stepDuration(.mailFrom, record) == .milliseconds(3))
        #expect(Runner.stepDuration(.rcpt(written: "a@x.test", address: "a@x.test"), record) == .milliseconds(100))
        #expect(Runner.stepDuration(.quit, record) == .milliseconds(1))
        #expect(Runner.stepDuration(.starttls, record) == .zero)
    }

    @Test func aSessionThatBrokeOffIsAnErrorForEveryLaterStep() async throws {
        var record = Self.refusedAfterTLS
        record.ehloAfterTLS = nil
        record.quit = nil
        record.failure = .tlsFailed("the certificate does not name mx")
        let report = try await Self.run(
            Self.smtpSpec("mail_from: 250, quit: 221"), dns: Self.mxDNS(.records([])),
            smtp: ScriptedSMTP(record: record))
        for step in ["/mail_from", "/quit"] {
            let r = try #require(report.results.first { $0.id.rawValue.hasSuffix(step) })
            #expect(r.status == .error, "\(step): \(r.message)")
        }
        #expect(report.exitCode == 3)
    }
}
