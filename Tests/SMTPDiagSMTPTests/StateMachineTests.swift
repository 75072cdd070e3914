import NIOCore
import Testing

@testable import SMTPDiagSMTP
@testable import SMTPDiagSMTPWire

/// A clock that moves only when told.
final class ManualClock: Clock, @unchecked Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by d: Duration) -> Instant { Instant(offset: offset + d) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }
    var now = Instant(offset: .zero)
    var minimumResolution: Duration { .zero }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {}
    func advance(_ d: Duration) { now = now.advanced(by: d) }
}

func reply(_ text: String) -> SMTPReply {
    var parser = SMTPReplyParser()
    var b = ByteBuffer(string: text.hasSuffix("\n") ? text : text + "\r\n")
    return (try? parser.next(from: &b)) ?? SMTPReply(code: 0, lines: ["unparsable"])
}

@Suite("SMTP session state machine")
struct StateMachineTests {
    typealias Machine = SMTPSessionStateMachine<ManualClock>
    static let ehloTLS = "250-mx1.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
    static let ehloPlain = "250-mx1.example.test\r\n250 PIPELINING\r\n"
    static let tls = TLSInfo(
        version: "TLSv1.3", cipher: nil, subject: "CN=mx1", issuer: "CN=ca", subjectAlternativeNames: [],
        notValidBefore: 0,
        notValidAfter: 1, certificateSHA256: "", spkiSHA256: "", verified: true)

    static func config(
        starttls: STARTTLSMode = .optional, recipients: [String] = ["postmaster@example.test", "nobody@example.test"]
    ) -> SMTPSessionConfiguration {
        SMTPSessionConfiguration(
            helo: "diag.example.net", mailFrom: "", recipients: recipients, starttls: starttls,
            connectTimeout: .seconds(10), bannerTimeout: .seconds(30), commandTimeout: .seconds(5),
            sessionTimeout: .seconds(100))
    }

    static func started(_ c: SMTPSessionConfiguration = config(), clock: ManualClock = ManualClock()) -> Machine {
        var m = Machine(configuration: c, clock: clock)
        m.connecting()
        _ = m.connected(to: "127.0.0.11:25")
        return m
    }

    @Test func fullDialogueWithSTARTTLS() {
        var m = Self.started()
        #expect(m.received(reply("220 mx1 ESMTP")) == .send(.ehlo("diag.example.net")))
        #expect(m.received(reply(Self.ehloTLS)) == .send(.startTLS))
        #expect(m.received(reply("220 2.0.0 Ready to start TLS")) == .startTLS)
        #expect(m.tlsEstablished(Self.tls) == .send(.ehlo("diag.example.net")))
        #expect(m.received(reply(Self.ehloPlain)) == .send(.mailFrom("")))
        #expect(m.received(reply("250 2.1.0 Ok")) == .send(.rcptTo("postmaster@example.test")))
        #expect(m.received(reply("250 2.1.5 Ok")) == .send(.rset))
        #expect(m.received(reply("250 2.0.0 Ok")) == .send(.mailFrom("")))
        #expect(m.received(reply("250 2.1.0 Ok")) == .send(.rcptTo("nobody@example.test")))
        #expect(m.received(reply("550 5.1.1 <nobody@example.test>: User unknown")) == .send(.quit))
        #expect(m.received(reply("221 2.0.0 Bye")) == .close)
        #expect(m.isDone)
        let r = m.record
        #expect(r.failure == nil)
        #expect(r.tls?.version == "TLSv1.3")
        #expect(r.rcptReply("nobody@example.test")?.enhanced == "5.1.1")
        // After TLS, what the server says inside TLS counts (RFC 3207 §4.2: STARTTLS only before it).
        #expect(r.extensions == ["PIPELINING"])
        #expect(r.extensionsBeforeTLS == ["PIPELINING", "STARTTLS"])
        #expect(
            r.transcript.filter { $0.direction == .sent }.map(\.text) == [
                "EHLO diag.example.net", "STARTTLS", "EHLO diag.example.net", "MAIL FROM:<>",
                "RCPT TO:<postmaster@example.test>", "RSET", "MAIL FROM:<>",
                "RCPT TO:<nobody@example.test>", "QUIT",
            ])
    }

    @Test func heloFallbackIsReported() {
        var m = Self.started(Self.config(starttls: .off))
        _ = m.received(reply("220 old"))
        #expect(m.received(reply("502 5.5.2 Error: command not recognized")) == .send(.helo("diag.example.net")))
        #expect(m.received(reply("250 old")) == .send(.mailFrom("")))
        #expect(m.record.heloFallback)
    }

    @Test func startTLSRefusedOptionalGoesOn() {
        var m = Self.started()
        _ = m.received(reply("220 x"))
        _ = m.received(reply(Self.ehloTLS))
        #expect(m.received(reply("454 4.7.0 TLS not available")) == .send(.mailFrom("")))
        #expect(m.record.failure == nil)
    }

    @Test func startTLSRequired() {
        var refused = Self.started(Self.config(starttls: .required))
        _ = refused.received(reply("220 x"))
        _ = refused.received(reply(Self.ehloTLS))
        #expect(refused.received(reply("454 4.7.0 TLS not available")) == .send(.quit))
        #expect(refused.record.failure == .startTLSRequiredButRefused(reply("454 4.7.0 TLS not available")))
        // Required is tried even when not advertised.
        var unadvertised = Self.started(Self.config(starttls: .required))
        _ = unadvertised.received(reply("220 x"))
        #expect(unadvertised.received(reply(Self.ehloPlain)) == .send(.startTLS))
        // Off: never tried.
        var off = Self.started(Self.config(starttls: .off))
        _ = off.received(reply("220 x"))
        #expect(off.received(reply(Self.ehloTLS)) == .send(.mailFrom("")))
    }

    @Test(arguments: ["554 5.7.1 no service", "421 4.3.2 shutting down"])
    func refusingBanner(_ banner: String) {
        var m = Self.started()
        let action = m.received(reply(banner))
        #expect(action == (banner.hasPrefix("421") ? .close : .send(.quit)))
        #expect(m.record.banner?.code == Int(banner.prefix(3)))
    }

    @Test func mailFromRefusedSkipsRecipients() {
        var m = Self.started(Self.config(starttls: .off))
        _ = m.received(reply("220 x"))
        _ = m.received(reply(Self.ehloPlain))
        #expect(m.received(reply("553 5.7.1 sender rejected")) == .send(.quit))
        #expect(m.record.rcpt.isEmpty)
    }

    @Test func badSequenceStartsANewTransaction() {
        var m = Self.started(Self.config(starttls: .off, recipients: ["a@x.test", "b@x.test", "c@x.test"]))
        _ = m.received(reply("220 x"))
        _ = m.received(reply(Self.ehloPlain))
        _ = m.received(reply("250 ok"))
        #expect(m.received(reply("503 5.5.1 Error: need MAIL command")) == .send(.rset))
        #expect(m.received(reply("250 ok")) == .send(.mailFrom("")))
        #expect(m.received(reply("250 ok")) == .send(.rcptTo("b@x.test")))
        #expect(m.received(reply("250 ok")) == .send(.rset))
        #expect(m.received(reply("250 ok")) == .send(.mailFrom("")))
        #expect(m.received(reply("250 ok")) == .send(.rcptTo("c@x.test")))
        #expect(m.received(reply("250 ok")) == .send(.quit))
        #expect(m.record.rcpt.map(\.address) == ["a@x.test", "b@x.test", "c@x.test"])
    }

    @Test func eachRecipientInATransactionOfItsOwn() {
        // Contract: RSET between RCPT entries. A server counting rejected recipients per transaction must never
        // see them summed.
        var m = Self.started(Self.config(starttls: .off, recipients: ["a@x.test", "b@x.test"]))
        _ = m.received(reply("220 x"))
        _ = m.received(reply(Self.ehloPlain))
        #expect(m.received(reply("250 ok")) == .send(.rcptTo("a@x.test")))
        #expect(m.received(reply("550 5.1.1 unknown")) == .send(.rset))
        #expect(m.received(reply("250 2.0.0 Ok")) == .send(.mailFrom("")))
        #expect(m.received(reply("250 ok")) == .send(.rcptTo("b@x.test")))
        #expect(m.received(reply("250 ok")) == .send(.quit))
        // RSET refused: the session ends, and says why.
        var refused = Self.started(Self.config(starttls: .off, recipients: ["a@x.test", "b@x.test"]))
        _ = refused.received(reply("220 x"))
        _ = refused.received(reply(Self.ehloPlain))
        _ = refused.received(reply("250 ok"))
        _ = refused.received(reply("250 ok"))
        #expect(refused.received(reply("502 5.5.2 no RSET here")) == .send(.quit))
        #expect(refused.record.rsetRefusal?.code == 502)
    }

    @Test func bannerHasItsOwnTimeout() {
        let clock = ManualClock()
        var m = Self.started(clock: clock)
        #expect(clock.now.duration(to: m.deadline) == .seconds(30))
        _ = m.received(reply("220 x"))
        #expect(clock.now.duration(to: m.deadline) == .seconds(5))
        clock.advance(.seconds(5))
        #expect(m.timedOut() == .close)
        #expect(m.record.failure == .timeout(.ehlo, .seconds(5)))
    }

    @Test func sessionDeadlineCapsEveryPhase() {
        let clock = ManualClock()
        var c = Self.config()
        c.sessionTimeout = .seconds(12)
        var m = Self.started(c, clock: clock)
        clock.advance(.seconds(10))
        _ = m.received(reply("220 x"))
        #expect(clock.now.duration(to: m.deadline) == .seconds(2))
        clock.advance(.seconds(2))
        _ = m.timedOut()
        #expect(m.record.failure == .sessionDeadline(.ehlo))
    }

    @Test func closedAndBrokenPeers() {
        var closed = Self.started()
        _ = closed.received(reply("220 x"))
        #expect(closed.closedByPeer() == .close)
        #expect(closed.record.failure == .closedByServer(.ehlo))
        var broken = Self.started()
        #expect(broken.protocolError(.malformedLine("garbage")) == .close)
        #expect(broken.record.failure == .protocolError(.banner, .malformedLine("garbage")))
        var tls = Self.started()
        _ = tls.received(reply("220 x"))
        _ = tls.received(reply(Self.ehloTLS))
        _ = tls.received(reply("220 go ahead"))
        #expect(tls.tlsFailed("bad record") == .close)
        #expect(tls.record.failure == .tlsFailed("bad record"))
    }

    @Test func injectedAddressIsRefusedBeforeSending() {
        var m = Self.started(Self.config(starttls: .off, recipients: ["a@x.test>\r\nDATA"]))
        _ = m.received(reply("220 x"))
        _ = m.received(reply(Self.ehloPlain))
        #expect(m.received(reply("250 ok")) == .close)
        guard case .commandRefused = m.record.failure else {
            Issue.record("expected a refused command, got \(String(describing: m.record.failure))")
            return
        }
        #expect(!m.record.transcript.contains { $0.text.contains("RCPT") })
    }

    @Test func quitClosedByServerIsNormal() {
        var c = Self.config(starttls: .off, recipients: [])
        c.mailFrom = nil
        var m = Self.started(c)
        _ = m.received(reply("220 x"))
        #expect(m.received(reply(Self.ehloPlain)) == .send(.quit))
        #expect(m.closedByPeer() == .close)
        #expect(m.record.failure == nil)
    }
}
