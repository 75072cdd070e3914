import NIOCore
import SMTPDiagDNSWire
import Testing

@testable import SMTPDiagDNS

/// A stalled TCP connection must not take every query on it down: each is tried again on another connection,
/// up to `retries` times, and one new connection serves them all.
@Suite("DNS over TCP: retries on another connection")
struct TCPRetryTests {
    @Test func queriesOnAStalledConnectionAreTriedAgainOnANewOne() async throws {
        let server = try await StallingTCPServer.start()
        let client = DNSClient()
        let options = DNSQueryOptions(timeout: .seconds(1), retries: 1)
        let answered = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<10 {
                group.addTask {
                    let name = (try? DomainName(parsing: "q\(i).example.test.")) ?? "q.example.test."
                    return
                        (try? await client.query(name, .a, server: server.address, transport: .tcp, options: options))
                        != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(answered == 10)
        #expect(server.connections.withLockedValue { $0 } == 2)
        await client.shutdown()
        await server.stop()
    }

    @Test func withoutRetriesTheTimeoutIsReportedWithItsOwnDuration() async throws {
        let server = try await StallingTCPServer.start()
        let client = DNSClient()
        do {
            _ = try await client.query(
                "x.example.test.", .a, server: server.address, transport: .tcp,
                options: DNSQueryOptions(timeout: .milliseconds(300), retries: 0))
            Issue.record("a silent connection answered")
        } catch {
            #expect(
                error == .timeout(server: server.address, transport: .tcp, attempts: 1, timeout: .milliseconds(300)))
        }
        await client.shutdown()
        await server.stop()
    }
}
