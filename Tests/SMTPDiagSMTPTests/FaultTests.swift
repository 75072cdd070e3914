import Testing

@testable import SMTPDiagSMTP
@testable import SMTPDiagSMTPWire

@Suite("SMTP engine against a fault server")
struct FaultTests {
    static let configuration = SMTPSessionConfiguration(
        helo: "diag.example.net", mailFrom: "", recipients: ["postmaster@fault.example.test"], starttls: .optional,
        connectTimeout: .seconds(5), bannerTimeout: .milliseconds(1500), commandTimeout: .seconds(2),
        sessionTimeout: .seconds(20))

    static func run(_ fault: Fault, _ configuration: SMTPSessionConfiguration = configuration) async throws
        -> SMTPSessionRecord
    {
        let server = try await FaultServer.start(fault)
        defer { Task { await server.stop() } }
        let client = SMTPClient()
        return await client.session(
            address: "127.0.0.1", port: server.port, serverName: "fault.example.test", configuration: configuration,
            tls: SMTPTLSSettings(verify: false))
    }

    @Test func noBannerTimesOutInTheBannerPhase() async throws {
        let r = try await Self.run(.noBanner)
        #expect(r.failure == .timeout(.banner, .milliseconds(1500)))
        #expect(r.transcript.first?.text.hasPrefix("connected to 127.0.0.1:") == true)
    }

    @Test func oneBytePerSecondTimesOut() async throws {
        let r = try await Self.run(.oneBytePerSecond)
        #expect(r.failure == .timeout(.banner, .milliseconds(1500)))
        #expect(r.banner == nil)
    }

    @Test func banner421() async throws {
        let r = try await Self.run(.banner421)
        #expect(r.banner?.code == 421)
        #expect(r.failure == nil || r.failure == .closedByServer(.banner))
        #expect(!r.transcript.contains { $0.direction == .sent })
    }

    @Test func banner554() async throws {
        let r = try await Self.run(.banner554)
        #expect(r.banner?.code == 554)
        #expect(r.quit?.code == 221)
        #expect(r.transcript.filter { $0.direction == .sent }.map(\.text) == ["QUIT"])
    }

    @Test func garbageIsAProtocolError() async throws {
        let r = try await Self.run(.garbage)
        guard case .protocolError(.banner, .malformedLine(let line)) = r.failure else {
            Issue.record("unexpected \(String(describing: r.failure))")
            return
        }
        #expect(line.contains("GARBAGE"))
    }

    @Test func endlessMultilineReply() async throws {
        let r = try await Self.run(.endlessMultiline)
        #expect(r.failure == .protocolError(.ehlo, .tooManyLines(limit: 100)))
        #expect(r.banner?.code == 220)
    }

    @Test func tenMegabyteLine() async throws {
        let r = try await Self.run(.tenMegabyteLine)
        #expect(r.failure == .protocolError(.ehlo, .lineTooLong(limit: 4096)))
    }

    @Test func closeAfterEHLOKeepsTheTranscript() async throws {
        let r = try await Self.run(.closeAfterEHLO)
        #expect(r.failure == .closedByServer(.ehlo))
        #expect(r.transcript.map(\.description).contains("Received: 220 fault.example.test ESMTP"))
        #expect(r.transcript.map(\.description).contains("Sent: EHLO diag.example.net"))
    }

    @Test func startTLSAdvertisedThenRefused() async throws {
        let optional = try await Self.run(.startTLSRefused)
        #expect(optional.starttls?.code == 454)
        #expect(optional.failure == nil)
        #expect(optional.rcpt.first?.reply.code == 250)
        var required = Self.configuration
        required.starttls = .required
        let r = try await Self.run(.startTLSRefused, required)
        guard case .startTLSRequiredButRefused(let reply) = r.failure else {
            Issue.record("unexpected \(String(describing: r.failure))")
            return
        }
        #expect(reply?.code == 454)
        #expect(r.mailFrom == nil)
    }

    @Test func brokenHandshake() async throws {
        let r = try await Self.run(.brokenHandshake)
        guard case .tlsFailed(let reason) = r.failure else {
            Issue.record("unexpected \(String(describing: r.failure))")
            return
        }
        #expect(!reason.isEmpty)
        #expect(r.starttls?.code == 220)
        #expect(r.mailFrom == nil)
    }

    @Test func plaintextAfterSTARTTLSIsRefused() async throws {
        let r = try await Self.run(.startTLSInjection)
        #expect(r.failure == .tlsFailed("the server sent plaintext after 220 to STARTTLS, before the TLS handshake"))
        #expect(r.mailFrom == nil)
    }

    @Test func connectionRefused() async throws {
        let server = try await FaultServer.start(.noBanner)
        let port = server.port
        await server.stop()
        let r = await SMTPClient().session(
            address: "127.0.0.1", port: port, serverName: nil, configuration: Self.configuration)
        #expect(r.failure == .connectFailed("connection refused"))
    }

    @Test func politenessLimitsSessionsPerAddress() async throws {
        let limiter = SMTPHostLimiter(limit: 2)
        let counter = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    await limiter.withPermit(for: "127.0.0.11|25") {
                        await counter.enter()
                        try? await Task.sleep(for: .milliseconds(20))
                        await counter.leave()
                    }
                }
            }
        }
        #expect(await counter.peak == 2)
    }
}

actor Counter {
    var now = 0
    var peak = 0
    func enter() {
        now += 1
        peak = max(peak, now)
    }
    func leave() { now -= 1 }
}
