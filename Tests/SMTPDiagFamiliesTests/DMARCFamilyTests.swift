import Foundation
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagFamilies
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec
import SMTPDiagTestSupport
import Testing

/// `dmarc:` through `run`: what the record at `_dmarc` means, judged at each server; a record a receiver would not
/// apply fails every expectation, and a DNS answer that could not be had is an error.
@Suite("The dmarc family")
struct DMARCFamilyTests {
    static func run(_ expectation: String, dmarc: [String], zone: String = "d.test") async throws -> [CheckResult] {
        let yaml = """
            version: 1
            dns_servers: { a: 127.0.0.10 }
            defaults: { dns: { servers: [a], transports: [udp] } }
            domains:
              \(zone): { dmarc: \(expectation) }
            """
        let loaded = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data(yaml.utf8), path: "dmarc.yaml")
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let plan = PlanCompiler(families: Families.builtin.plan).compile(loaded.files).plan
        #expect(plan.checks.map(\.id.rawValue) == ["\(zone)/dmarc@a[127.0.0.10]/udp"])
        let dns = ScriptedDNS { q in
            guard q.name.description == "_dmarc.\(zone).", q.type == .txt else { return .records([]) }
            if dmarc == ["SERVFAIL"] { return .rcode(2) }
            return .records(dmarc.map { .txt(TXT([$0])) })
        }
        var options = RunOptions()
        options.families = Families.builtin
        return Array(await Runner(dns: dns, smtp: NoSMTP(), options: options).run(plan).0)
    }

    @Test func aRecordThatSaysWhatTheSpecSays() async throws {
        let r = try await Self.run(
            "{ valid: true, policy: reject, subdomain_policy: quarantine, pct: 100, alignment: { dkim: s, spf: r } }",
            dmarc: ["v=DMARC1; p=reject; sp=quarantine; adkim=s", "v=spf1 -all"])
        #expect(r.map(\.status) == [.pass], "\(r.map(\.message))")
        #expect(r.first?.actual == "p=reject sp=quarantine pct=100 adkim=s aspf=r")
    }

    @Test(arguments: [
        ("{ policy: reject }", ["v=DMARC1; p=none"], "p is none, not reject"),
        ("{ policy_at_least: quarantine }", ["v=DMARC1; p=none"], "p is none, weaker than quarantine"),
        ("{ subdomain_policy: reject }", ["v=DMARC1; p=reject; sp=none"], "the subdomain policy is none, not reject"),
        ("{ pct: 100 }", ["v=DMARC1; p=reject; pct=20"], "pct is 20, not 100"),
        ("{ valid: true }", [], "no DMARC record at _dmarc.d.test."),
        (
            "{ valid: true }", ["v=DMARC1; p=reject", "v=DMARC1; p=none"],
            "2 DMARC records at _dmarc.d.test.: receivers apply none"
        ),
        ("{ valid: true }", ["v=DMARC1; p=reject; p=none"], "invalid DMARC record: the tag p appears twice"),
        ("{ policy: reject }", ["v=dmarc1; p=reject"], "no DMARC record at _dmarc.d.test."),
    ])
    func whatIsWrongFails(_ expectation: String, _ dmarc: [String], _ message: String) async throws {
        let r = try await Self.run(expectation, dmarc: dmarc)
        #expect(r.map(\.status) == [.fail])
        #expect(r.first?.message == message)
    }

    @Test func anAnswerThatCouldNotBeHadIsAnError() async throws {
        let r = try await Self.run("{ valid: true }", dmarc: ["SERVFAIL"])
        #expect(r.map(\.status) == [.error], "\(r.map(\.message))")
    }

    @Test func mistakesInTheSpecAreLocated() {
        let yaml = """
            version: 1
            domains:
              d.test: { dmarc: { policy: block, polcy: reject, policy_at_least: none, pct: 101 } }
            """
        let text = SpecLoader(environment: [:], families: Families.builtin.spec)
            .load(data: Data(yaml.utf8), path: "bad.yaml").diagnostics.map(\.description).joined(separator: "\n")
        #expect(text.contains("domains.d.test.dmarc.policy: not a DMARC policy"), "\(text)")
        #expect(text.contains("domains.d.test.dmarc.polcy") && text.contains("did you mean `policy`"), "\(text)")
        #expect(text.contains("domains.d.test.dmarc.pct"), "\(text)")
        // A domain of 253 characters has no room for `_dmarc.` below it: an error, not a check left out.
        let long = zip(["a", "b", "c", "d"], [63, 63, 63, 61]).map { String(repeating: $0, count: $1) }
            .joined(separator: ".")
        let tooLong = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data("version: 1\ndomains:\n  \(long): { dmarc: { valid: true } }\n".utf8), path: "long.yaml")
        #expect(tooLong.diagnostics.map(\.message) == ["\(long). is too long to have a _dmarc name below it"])
    }

    @Test(.enabled(if: TestLab.enabled, Comment(rawValue: TestLab.skipReason)))
    func theLabsRecordsThroughNSDAndKnot() async throws {
        let yaml = """
            version: 1
            dns_servers: { nsd: 127.0.0.10, knot: 127.0.0.12 }
            defaults: { dns: { servers: [nsd, knot], transports: [udp, tcp] } }
            domains:
              example.test: { dmarc: { valid: true, policy: reject } }
              nwtraders.test: { dmarc: { policy_at_least: quarantine } }
            """
        let loaded = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data(yaml.utf8), path: "lab.yaml")
        let plan = PlanCompiler(families: Families.builtin.plan).compile(loaded.files).plan
        var options = RunOptions()
        options.families = Families.builtin
        let client = DNSClient()
        let (results, _) = await Runner(dns: LiveDNSProbe(client: client), smtp: NoSMTP(), options: options).run(plan)
        await client.shutdown()
        let example = results.filter { $0.domain == "example.test" }
        let nwtraders = results.filter { $0.domain == "nwtraders.test" }
        #expect(example.count == 4 && example.allSatisfy { $0.status == .pass }, "\(example.map(\.message))")
        #expect(nwtraders.count == 4 && nwtraders.allSatisfy { $0.status == .fail }, "\(nwtraders.map(\.message))")
        #expect(nwtraders.first?.message == "p is none, weaker than quarantine")
    }
}
