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

/// A DNS server in memory: each zone `z` has `NS ns1.z`, `ns1.z A 127.0.0.53` and an SOA whose serial
/// the test picks; everything else is an empty NOERROR. Counts questions and, through `watch`, can look
/// at the runner while it asks.
final class TableDNS: DNSProbe, @unchecked Sendable {
    let serials: [String: UInt32]
    let asked = NIOLockedValueBox<[String: Int]>([:])
    let watch = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)

    init(serials: [String: UInt32]) { self.serials = serials }

    func query(_ question: Question, server: DNSServerAddress, transport: DNSTransport, options: DNSQueryOptions)
        async -> Result<DNSResponse, DNSClientError>
    {
        asked.withLockedValue { $0["\(question) @\(server) \(transport)", default: 0] += 1 }
        watch.withLockedValue { $0 }?()
        await Task.yield()
        let name = question.name
        let zone = String(name.description.dropLast()).split(separator: ".", maxSplits: 1).last.map(String.init) ?? ""
        var answers: [ResourceRecord] = []
        switch question.type {
        case .soa:
            if let serial = serials[String(name.description.dropLast())] {
                answers = [
                    ResourceRecord(
                        name: name, ttl: 300,
                        rdata: .soa(
                            SOA(
                                mname: "ns1.example.test.", rname: "hostmaster.example.test.", serial: serial,
                                refresh: 1, retry: 1, expire: 1, minimum: 1)))
                ]
            }
        case .ns:
            if let ns = try? DomainName(parsing: "ns1.\(name.description)") {
                answers = [ResourceRecord(name: name, ttl: 300, rdata: .ns(NS(nsdname: ns)))]
            }
        case .a:
            if name.description.hasPrefix("ns1.") && serials[zone] != nil {
                answers = [ResourceRecord(name: name, ttl: 300, rdata: .a(A(address: [127, 0, 0, 53])))]
            }
        default:
            break
        }
        var header = Header(id: 1, isResponse: true, authoritative: true)
        header.id = 1
        let message = Message(header: header, questions: [question], answers: answers)
        return .success(
            DNSResponse(
                message: message, server: server, transport: transport, roundTrip: .milliseconds(1), attempts: 1,
                size: 100))
    }
}

@Suite("Runner: schedule, prerequisites, evidence, cache")
struct RunnerTests {
    /// `n` zones `z0.test`...: SOA serial expected 1 (and consistent across the named server and the
    /// discovered NS) over UDP at one named server.
    static func plan(_ n: Int) throws -> CheckPlan {
        var yaml = "version: 1\ndns_servers: { a: 127.0.0.10 }\ndefaults:\n  dns: { servers: [a], transports: [udp] }\n"
        yaml += "domains:\n"
        for i in 0..<n { yaml += "  z\(i).test: { soa: { serial: 1, consistent: true } }\n" }
        let loaded = SpecLoader(families: Families.builtin.spec).load(data: Data(yaml.utf8), path: "runner.yaml")
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let compiled = PlanCompiler(families: Families.builtin.plan).compile(loaded.files)
        #expect(compiled.diagnostics.isEmpty)
        return compiled.plan
    }

    /// Serial 1 for zones `z0.test` to `z<n-1>.test`.
    static func serials(_ n: Int) -> [String: UInt32] {
        Dictionary(uniqueKeysWithValues: (0..<n).map { ("z\($0).test", UInt32(1)) })
    }

    static func runner(_ dns: TableDNS, jobs: Int = 8, keep: Bool = false) -> Runner {
        var options = RunOptions()
        options.jobs = jobs
        options.keepPassingEvidence = keep
        return Runner(dns: dns, smtp: NoSMTP(onSession: { Issue.record("no SMTP session expected") }), options: options)
    }

    @Test func resultsInPlanOrderAndPrerequisitesFirst() async throws {
        let plan = try Self.plan(30)
        // z7 has no SOA at all: its serial check fails, and so does consistency (errors: no SOA).
        var serials = Self.serials(30)
        serials["z7.test"] = nil
        let dns = TableDNS(serials: serials)
        let (results, interrupted) = await Self.runner(dns).run(plan)
        #expect(interrupted == nil)
        #expect(results.map(\.planID) == plan.checks.map(\.id))
        let z7 = results.filter { $0.domain == "z7.test" }
        #expect(z7.first { $0.id.rawValue.contains("soa.serial") }?.status == .fail)
        #expect(results.filter { $0.domain != "z7.test" }.allSatisfy { $0.status == .pass })
        // Every discovery ran before the consistency check that needs it: consistency asked the
        // discovered NS (127.0.0.53), which only discovery can have found.
        let asked = dns.asked.withLockedValue { $0 }
        #expect(asked.keys.contains { $0.contains("z3.test. IN SOA @127.0.0.53:53") })
        // Identical questions asked once per group: the SOA at 127.0.0.10 serves the serial check and
        // the consistency check.
        #expect(asked.values.allSatisfy { $0 == 1 }, "\(asked.filter { $0.value > 1 })")
    }

    @Test func aPrerequisiteThatFailsSkipsItsDependents() async throws {
        let plan = try Self.plan(2)
        // No zone has an NS address: discovery errors, consistency is skipped.
        let dns = TableDNS(serials: [:])
        let (results, _) = await Self.runner(dns).run(plan)
        let consistent = try #require(results.first { $0.id.rawValue == "z0.test/soa.consistent" })
        #expect(consistent.status == .skip)
        #expect(consistent.message.hasPrefix("prerequisite z0.test/ns.discovery@a[127.0.0.10] did not pass"))
    }

    @Test func passingEvidenceOnlyWhenKept() async throws {
        let plan = try Self.plan(3)
        let dns = TableDNS(serials: ["z0.test": 1, "z1.test": 2, "z2.test": 1])
        let (quiet, _) = await Self.runner(dns).run(plan)
        for r in quiet {
            if r.status == .pass {
                #expect(r.evidence.dns.isEmpty, "\(r.id)")
            } else {
                #expect(!r.evidence.dns.isEmpty, "\(r.id)")
                #expect(r.evidence.dns.contains { $0.contains("IN SOA @127.0.0.10:53 udp -> NOERROR") })
            }
        }
        #expect(quiet.contains { $0.status == .fail })
        let (verbose, _) = await Self.runner(TableDNS(serials: dns.serials), keep: true).run(plan)
        #expect(verbose.allSatisfy { !$0.evidence.dns.isEmpty })
    }

    /// The cache holds a domain's answers only while its checks run: with one check at a time, never
    /// more than two domains' worth, and nothing once the run is over.
    @Test func cachedAnswersAreLetGoWhenTheirDomainIsDone() async throws {
        let plan = try Self.plan(40)
        let dns = TableDNS(serials: Self.serials(40))
        let runner = Self.runner(dns, jobs: 1)
        let most = NIOLockedValueBox(0)
        let cache = runner.queries
        dns.watch.withLockedValue { $0 = { most.withLockedValue { $0 = max($0, cache.count) } } }
        let (results, _) = await runner.run(plan)
        #expect(results.count == plan.checks.count)
        // A domain asks 5 distinct questions (NS, A and AAAA of ns1, SOA at two servers).
        #expect(most.withLockedValue { $0 } <= 10)
        #expect(runner.queries.count == 0)
    }

    @Test func cancellingEndsTheRunWithEveryCheckReported() async throws {
        let plan = try Self.plan(200)
        let dns = TableDNS(serials: Self.serials(200))
        let runner = Self.runner(dns, jobs: 2)
        let task = Task { await runner.run(plan) }
        let started = NIOLockedValueBox(0)
        dns.watch.withLockedValue {
            $0 = {
                if started.withLockedValue({ n -> Int in
                    n += 1
                    return n
                }) == 50 {
                    task.cancel()
                }
            }
        }
        let (results, interrupted) = await task.value
        #expect(interrupted != nil)
        #expect(results.map(\.planID) == plan.checks.map(\.id))
        #expect(results.contains { $0.status == .pass })
        #expect(results.contains { $0.status == .skip && $0.message.hasPrefix("not run: interrupted") })
    }
}

@Suite("Schedule")
struct ScheduleTests {
    @Test func minHeapPopsInOrder() {
        var heap = MinHeap()
        var rng = SystemRandomNumberGenerator()
        let values = (0..<500).map { _ in Int32.random(in: 0..<10_000, using: &rng) }
        for v in values { heap.push(v) }
        var out: [Int32] = []
        while let v = heap.pop() { out.append(v) }
        #expect(out == values.sorted())
    }
}

@Suite("Packed results")
struct ResultListTests {
    static let plan: [Check] = (0..<3).map { i in
        Check(
            id: CheckID(.domain("d\(i).test"), "mx", server: .dns("a", "127.0.0.10", 53), transport: .udp),
            kind: .mxResolves(zone: DomainName(stringLiteral: "d\(i).test."), server: .system, transport: .udp),
            location: SourceLocation(file: "f.yaml", line: 10 + i, column: 3),
            domain: DomainName(stringLiteral: "d\(i).test"),
            tags: i == 1 ? ["prod"] : [], dependencies: [], timeout: .seconds(2), retries: 1)
    }

    static func result(_ check: Check, _ k: Int) -> CheckResult {
        var r = CheckResult(
            id: k == 0
                ? check.id
                : check.id.at(
                    Endpoint(name: k == 3 ? nil : "ns\(k).d.test", address: "127.0.0.\(k)", port: k == 2 ? 5300 : nil)),
            planID: check.id,
            status: CheckStatus.allCases[k % 4], message: "message \(k) ünïcode \"quoted\"\n",
            expected: k % 2 == 0 ? "expected \(k)" : nil,
            actual: k % 3 == 0 ? "message \(k) ünïcode \"quoted\"\n" : "other",
            missing: k == 1 ? ["a", ""] : [], extra: k == 2 ? ["x"] : [], location: check.location,
            domain: String(check.domain.description.dropLast()), tags: check.tags, duration: .milliseconds(k * 7))
        r.evidence.dns = k == 0 ? [] : ["line \(k)", "line two"]
        r.evidence.smtp = k == 2 ? ["Sent: EHLO x"] : []
        r.evidence.tls = k == 2 ? ["version": "TLSv1.3", "subject": "CN=x"] : [:]
        r.advisory = k == 1
        return r
    }

    /// Packed in any order, read back in plan order, field for field as they were.
    @Test func packedResultsReadBackAsTheyWere() {
        var packer = ResultPacker(expected: 4)
        var expected: [[CheckResult]] = Self.plan.map { _ in [] }
        for (i, k) in [(2, 0), (0, 0), (2, 1), (1, 0), (0, 1), (0, 2), (2, 2), (2, 3)] {
            let r = Self.result(Self.plan[i], k)
            packer.pack(r, check: i)
            expected[i].append(r)
        }
        let list = ResultList(packed: packer.finish(checks: Self.plan, extra: []))
        #expect(Array(list) == expected.flatMap { $0 })
        #expect((0..<list.count).map { list.status(at: $0) } == expected.flatMap { $0 }.map(\.status))
        #expect((0..<list.count).map { list.isAdvisory(at: $0) } == expected.flatMap { $0 }.map(\.advisory))
    }

    /// Chunks end where a result would not fit; a result larger than a chunk gets its own.
    @Test func resultsLargerThanAChunk() {
        var packer = ResultPacker(expected: 3)
        var big = Self.result(Self.plan[0], 1)
        big.message = String(repeating: "x", count: ResultPacker.chunkSize + 10)
        let small = Self.result(Self.plan[1], 0)
        packer.pack(small, check: 1)
        packer.pack(big, check: 0)
        packer.pack(small, check: 1)
        let list = ResultList(packed: packer.finish(checks: Self.plan, extra: []))
        #expect(Array(list) == [big, small, small])
    }
}
