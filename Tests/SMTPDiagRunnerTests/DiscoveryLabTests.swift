import Foundation
import NIOConcurrencyHelpers
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagFamilies
import SMTPDiagPlan
import SMTPDiagSpec
import SMTPDiagTestSupport
import Testing

@testable import SMTPDiagRunner

/// The one discovery of a zone's authoritative servers, against the lab's NSD and Knot: glue from the NS answer
/// for names inside the zone, A and AAAA asked for names outside it.
@Suite("Authoritative servers found in the lab", .enabled(if: TestLab.enabled, Comment(rawValue: TestLab.skipReason)))
struct DiscoveryLabTests {
    /// The lab's DNS through the real client, counting the questions.
    final class Counting: DNSProbe, @unchecked Sendable {
        let live: LiveDNSProbe
        let asked = NIOLockedValueBox<[String]>([])
        init(_ client: DNSClient) { live = LiveDNSProbe(client: client) }

        func query(_ question: Question, server: DNSServerAddress, transport: DNSTransport, options: DNSQueryOptions)
            async -> Result<DNSResponse, DNSClientError>
        {
            asked.withLockedValue { $0.append("\(question) @\(server)") }
            return await live.query(question, server: server, transport: transport, options: options)
        }
    }

    static func discover(_ zone: String, via server: String) async throws -> (CheckResult, [String]) {
        let yaml = """
            version: 1
            dns_servers: { via: "\(server)" }
            domains:
              \(zone): { dns: { servers: [via, authoritative], transports: [udp] }, soa: { serial: { min: 1 } } }
            """
        let loaded = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data(yaml.utf8), path: "discovery.yaml")
        #expect(loaded.diagnostics.isEmpty)
        let plan = PlanCompiler(families: Families.builtin.plan).compile(loaded.files).plan
        let client = DNSClient()
        let probe = Counting(client)
        let (results, _) = await Runner(dns: probe, smtp: NoSMTP()).run(plan)
        await client.shutdown()
        let discovery = try #require(results.first { $0.id.expectation == "ns.discovery" })
        let serials = results.filter { $0.id.expectation == "soa.serial" }
        // Every NS address found is asked for the serial, each a result of its own.
        #expect(serials.count >= 2 && serials.allSatisfy { $0.status == .pass }, "\(serials.map(\.message))")
        return (discovery, probe.asked.withLockedValue { $0 })
    }

    @Test func glueForNamesInsideTheZone() async throws {
        let (r, asked) = try await Self.discover("example.test", via: "127.0.0.10")
        #expect(r.status == .pass, "\(r.message)")
        #expect(r.actual == "ns1.example.test. [127.0.0.10], ns2.example.test. [127.0.0.12]")
        // The NS answer carried both addresses: no A or AAAA question for the NS names.
        #expect(!asked.contains { $0.hasPrefix("ns1.example.test.") || $0.hasPrefix("ns2.example.test.") }, "\(asked)")
    }

    @Test func addressesAskedForNamesOutsideTheZone() async throws {
        // drift.test's NS are in example.test: no glue, so each name's A and AAAA are asked, through Knot.
        let (r, asked) = try await Self.discover("drift.test", via: "127.0.0.12")
        #expect(r.status == .pass, "\(r.message)")
        #expect(r.actual == "ns1.example.test. [127.0.0.10], ns2.example.test. [127.0.0.12]")
        #expect(
            asked.contains { $0.hasPrefix("ns1.example.test. IN A ") }
                && asked.contains { $0.hasPrefix("ns2.example.test. IN AAAA ") }, "\(asked)")
    }

    @Test func aZoneTheServerDoesNotHaveIsNotDiscovered() async throws {
        let yaml = """
            version: 1
            dns_servers: { via: "127.0.0.10" }
            domains:
              missing.test: { dns: { servers: [via, authoritative], transports: [udp] }, ns: { count: 2 } }
            """
        let loaded = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data(yaml.utf8), path: "discovery.yaml")
        let plan = PlanCompiler(families: Families.builtin.plan).compile(loaded.files).plan
        let client = DNSClient()
        let (results, _) = await Runner(dns: LiveDNSProbe(client: client), smtp: NoSMTP()).run(plan)
        await client.shutdown()
        let discovery = try #require(results.first { $0.id.expectation == "ns.discovery" })
        #expect(discovery.status == .error, "\(discovery.message)")
        #expect(results.filter { $0.id.server?.name == "authoritative" }.allSatisfy { $0.status == .skip })
    }
}
