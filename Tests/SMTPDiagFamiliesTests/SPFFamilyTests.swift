import Foundation
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagFamilies
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec
import SMTPDiagTestSupport
import Testing

/// `spf:` through `run` against the lab's spf.test zone (NSD): each expectation a check at each server, the
/// worst-case counts with the path that goes over, problems anywhere in the tree, and DNS that cannot answer
/// as an error, never a failure.
@Suite("The spf family", .enabled(if: TestLab.enabled, Comment(rawValue: TestLab.skipReason)))
struct SPFFamilyTests {
    static func run(_ domains: String) async throws -> [String: CheckResult] {
        let yaml = """
            version: 1
            dns_servers: { nsd: 127.0.0.10 }
            defaults: { dns: { servers: [nsd] } }
            domains:
            \(domains)
            """
        let loaded = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data(yaml.utf8), path: "spf.yaml")
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let plan = PlanCompiler(families: Families.builtin.plan).compile(loaded.files).plan
        var options = RunOptions()
        options.families = Families.builtin
        let client = DNSClient()
        let (results, _) = await Runner(dns: LiveDNSProbe(client: client), smtp: NoSMTP(), options: options).run(plan)
        await client.shutdown()
        return Dictionary(results.map { ($0.id.rawValue.replacingOccurrences(of: "@nsd[127.0.0.10]", with: ""), $0) }) {
            a, _ in a
        }
    }

    @Test func limitsAreWorstCasesWithThePathThatGoesOver() async throws {
        let r = try await Self.run(
            """
              limit10.spf.test: { spf: { max_lookups: 10 } }
              limit11.spf.test: { spf: { valid: true } }
              branches.spf.test: { spf: { max_lookups: 7 } }
              void.spf.test: { spf: { max_void_lookups: 2 } }
            """)
        #expect(r["limit10.spf.test/spf.lookups"]?.status == .pass)
        #expect(r["limit10.spf.test/spf.lookups"]?.message == "worst case 10 DNS-querying terms, limit 10")
        // Syntactically valid, but over the limit on every path.
        #expect(r["limit11.spf.test/spf.valid"]?.status == .pass)
        let eleven = try #require(r["limit11.spf.test/spf.lookups"])
        #expect(eleven.status == .fail && eleven.actual == "11")
        #expect(
            eleven.message
                == "worst case 11 DNS-querying terms, limit 10; a:h11.spf.test at limit11.spf.test is DNS-querying "
                + "term 11 (limit11.spf.test)")
        // Two branches include the same record: both count, and the path names the second.
        let branches = try #require(r["branches.spf.test/spf.lookups"])
        #expect(branches.status == .fail && branches.actual == "8", "\(branches.message)")
        #expect(
            branches.message.contains(
                "mx at shared.spf.test is DNS-querying term 8 (branches.spf.test → include:inc-b.spf.test → "
                    + "include:shared.spf.test)"), "\(branches.message)")
        // Two void lookups over IPv4, three over IPv6 (v4only has no AAAA).
        let void = try #require(r["void.spf.test/spf.void_lookups"])
        #expect(void.status == .fail && void.actual == "3")
        #expect(void.message.hasPrefix("worst case 3 void lookups (IPv4 client 2, IPv6 client 3), limit 2; "))
    }

    @Test func problemsAnywhereMakeTheRecordInvalid() async throws {
        let r = try await Self.run(
            """
              afterallbad.spf.test: { spf: { valid: true } }
              mxmany.spf.test: { spf: { valid: true } }
              two.spf.test: { spf: { valid: true } }
              includenone.spf.test: { spf: { valid: true } }
              spf10.spf.test: { spf: { valid: true } }
              afterall.spf.test: { spf: { valid: true, denies: [192.0.2.1] } }
              join.spf.test: { spf: { valid: true, allows: [192.0.2.10], denies: [192.0.2.1] } }
            """)
        func failed(_ id: String, _ text: String) {
            #expect(r[id]?.status == .fail, "\(id): \(r[id]?.message ?? "missing")")
            #expect(r[id]?.message.contains(text) == true, "\(id): \(r[id]?.message ?? "missing")")
        }
        failed("afterallbad.spf.test/spf.valid", "\"ip4:192.0.2.300\": not an IPv4 address")
        failed("mxmany.spf.test/spf.valid", "11 MX names, more than 10")
        failed("two.spf.test/spf.valid", "2 SPF records at two.spf.test")
        failed("includenone.spf.test/spf.valid", "nospf.spf.test has no SPF record")
        failed("spf10.spf.test/spf.valid", "no SPF record at spf10.spf.test")
        // Terms after all are never evaluated: the include of a name without a record does not matter.
        #expect(r["afterall.spf.test/spf.valid"]?.status == .pass)
        #expect(r["afterall.spf.test/spf.denies[192.0.2.1]"]?.status == .pass)
        #expect(r["join.spf.test/spf.allows[192.0.2.10]"]?.status == .pass)
        #expect(r["join.spf.test/spf.denies[192.0.2.1]"]?.status == .pass)
    }

    @Test func allForbidAndSoftfail() async throws {
        let r = try await Self.run(
            """
              redirect.spf.test: { spf: { all: "-all", allows: [192.0.2.30, 192.0.2.31], denies: [192.0.2.32] } }
              redirectall.spf.test: { spf: { all: "?all" } }
              permissive.spf.test: { spf: { forbid: [ptr, "+all", "-all"] } }
              soft.spf.test: { spf: { denies: [192.0.2.71], all: "-all" } }
            """)
        #expect(r["redirect.spf.test/spf.all"]?.status == .pass)
        #expect(r["redirect.spf.test/spf.all"]?.message == "evaluation ends with -all at target.spf.test")
        #expect(r["redirect.spf.test/spf.allows[192.0.2.30]"]?.status == .pass)
        #expect(r["redirect.spf.test/spf.allows[192.0.2.31]"]?.status == .pass)
        #expect(r["redirect.spf.test/spf.denies[192.0.2.32]"]?.status == .pass)
        #expect(r["redirectall.spf.test/spf.all"]?.status == .pass)
        let forbid = try #require(r["permissive.spf.test/spf.forbid"])
        #expect(forbid.status == .fail)
        #expect(
            forbid.message
                == "ptr:spf.test at permissive.spf.test (permissive.spf.test); +all at plusall.spf.test "
                + "(permissive.spf.test → include:plusall.spf.test)")
        // A softfail is not a fail unless soft_ok says so; no all ends soft.spf.test with -all.
        #expect(r["soft.spf.test/spf.denies[192.0.2.71]"]?.status == .fail)
        #expect(r["soft.spf.test/spf.denies[192.0.2.71]"]?.actual == "softfail")
        #expect(r["soft.spf.test/spf.all"]?.status == .fail)
        #expect(r["soft.spf.test/spf.all"]?.actual == "~all")
    }

    @Test func dnsThatCannotAnswerIsAnError() async throws {
        let r = try await Self.run(
            """
              elsewhere.spf.test: { spf: { valid: true, allows: [192.0.2.1] } }
            """)
        #expect(r.values.allSatisfy { $0.status == .error }, "\(r.mapValues(\.message))")
        #expect(r["elsewhere.spf.test/spf.allows[192.0.2.1]"]?.message.hasPrefix("temperror: ") == true)
        #expect(r.count == 4)
    }

    @Test func mistakesInTheSpecAreLocated() {
        let yaml = """
            version: 1
            domains:
              d.test:
                spf: { allows: [192.0.2.1, not-an-ip], max_lookups: 11, all: "all-", forbid: [ptr, "+redirect", xyz],
                       sender: "a b", alows: [] }
            """
        let text = SpecLoader(environment: [:], families: Families.builtin.spec)
            .load(data: Data(yaml.utf8), path: "bad.yaml").diagnostics.map(\.description).joined(separator: "\n")
        #expect(text.contains("bad.yaml:4:32: error: domains.d.test.spf.allows[1]: not an IP address"), "\(text)")
        #expect(text.contains("domains.d.test.spf.max_lookups"), "\(text)")
        #expect(text.contains("domains.d.test.spf.all: not an all term"), "\(text)")
        #expect(text.contains("domains.d.test.spf.forbid[1]: not an SPF mechanism or modifier"), "\(text)")
        #expect(text.contains("domains.d.test.spf.forbid[2]: not an SPF mechanism or modifier"), "\(text)")
        #expect(text.contains("domains.d.test.spf.sender: not a sender"), "\(text)")
        #expect(text.contains("did you mean `allows`"), "\(text)")
    }
}
