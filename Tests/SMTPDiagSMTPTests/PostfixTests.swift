import Foundation
import SMTPDiagTestSupport
import Testing

@testable import SMTPDiagSMTP
@testable import SMTPDiagSMTPWire

/// The lab's real Postfix (scripts/lab up). Skips when it is down, except under CI=true.
enum SMTPLab {
    static let caFile = TestLab.caFile
    static let certFile = TestLab.certFile
    static let enabled = TestLab.enabled
}

@Suite(
    "SMTP engine against the lab's Postfix",
    .enabled(if: SMTPLab.enabled, "the lab is not running: start it with scripts/lab up"))
struct PostfixTests {
    static let configuration = SMTPSessionConfiguration(
        helo: "diag.example.net", mailFrom: "administrator@nwtraders.test",
        recipients: ["postmaster@example.test", "no-such-user@example.test", "someone@elsewhere.test"],
        starttls: .required, connectTimeout: .seconds(5), bannerTimeout: .seconds(10), commandTimeout: .seconds(10),
        sessionTimeout: .seconds(30))

    @Test(arguments: [
        ("127.0.0.11", "mx1.example.test"), ("127.0.0.13", "mx2.example.test"), ("::1", "mx1.example.test"),
    ])
    func fullSessionWithVerifiedTLS(_ address: String, _ name: String) async throws {
        let r = await SMTPClient().session(
            address: address, port: 25, serverName: name, configuration: Self.configuration,
            tls: SMTPTLSSettings(verify: true, caFile: SMTPLab.caFile))
        #expect(r.failure == nil, "\(String(describing: r.failure))")
        #expect(r.banner?.code == 220)
        #expect(r.ehlo?.code == 250)
        #expect(r.ehlo?.ehloKeywords.contains("STARTTLS") == true)
        #expect(r.starttls?.code == 220)
        let tls = try #require(r.tls)
        #expect(tls.verified)
        #expect(tls.version.hasPrefix("TLSv1."))
        #expect(tls.cipher?.hasPrefix("TLS_") == true, "cipher \(String(describing: tls.cipher))")
        #expect(tls.subjectAlternativeNames.contains("DNS:mx1.example.test"))
        #expect(tls.issuer.contains("CN=smtpdiag-spec lab CA"))
        #expect(tls.notValidBefore < tls.notValidAfter)
        #expect(r.ehloAfterTLS?.code == 250)
        #expect(r.mailFrom?.code == 250)
        #expect(r.rcptReply("postmaster@example.test")?.code == 250)
        #expect(r.rcptReply("no-such-user@example.test")?.code == 550)
        #expect(r.rcptReply("no-such-user@example.test")?.enhanced == "5.1.1")
        #expect(r.rcptReply("someone@elsewhere.test")?.code == 554)
        #expect(r.quit?.code == 221)
        #expect(!r.transcript.contains { $0.text.hasPrefix("DATA") })
    }

    @Test func verificationFailsWithoutTheLabCA() async {
        let r = await SMTPClient().session(
            address: "127.0.0.11", port: 25, serverName: "mx1.example.test", configuration: Self.configuration,
            tls: SMTPTLSSettings(verify: true, caFile: nil))
        guard case .tlsFailed(let reason) = r.failure else {
            Issue.record("expected a TLS failure, got \(String(describing: r.failure))")
            return
        }
        #expect(!reason.isEmpty)
        #expect(r.mailFrom == nil)
    }

    @Test func hostNameIsVerified() async {
        let r = await SMTPClient().session(
            address: "127.0.0.11", port: 25, serverName: "mx9.other.test", configuration: Self.configuration,
            tls: SMTPTLSSettings(verify: true, caFile: SMTPLab.caFile))
        guard case .tlsFailed = r.failure else {
            Issue.record("a certificate for mx1/mx2 was accepted for mx9.other.test: \(String(describing: r.failure))")
            return
        }
    }

    @Test func spkiDigestMatchesOpenSSL() async throws {
        let r = await SMTPClient().session(
            address: "127.0.0.11", port: 25, serverName: "mx1.example.test", configuration: Self.configuration,
            tls: SMTPTLSSettings(verify: true, caFile: SMTPLab.caFile))
        let tls = try #require(r.tls)
        func openssl(_ pipeline: String) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", pipeline]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return text.split(separator: " ").last.map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
            } ?? ""
        }
        let spki = try openssl(
            "openssl x509 -in '\(SMTPLab.certFile)' -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -hex"
        )
        let cert = try openssl("openssl x509 -in '\(SMTPLab.certFile)' -outform DER | openssl dgst -sha256 -hex")
        #expect(tls.spkiSHA256 == spki)
        #expect(tls.certificateSHA256 == cert)
        #expect(spki.count == 64)
    }

    @Test func manySessionsAtOnceArePolite() async {
        let client = SMTPClient(maxSessionsPerAddress: 2)
        var optional = Self.configuration
        optional.starttls = .optional
        let c = optional
        let results = await withTaskGroup(of: SMTPSessionRecord.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await client.session(
                        address: "127.0.0.13", port: 25, serverName: "mx2.example.test", configuration: c,
                        tls: SMTPTLSSettings(verify: true, caFile: SMTPLab.caFile))
                }
            }
            var out: [SMTPSessionRecord] = []
            for await r in group { out.append(r) }
            return out
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0.failure == nil && $0.quit?.code == 221 })
    }
}
