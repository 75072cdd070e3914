import Foundation
import SMTPDiagDNSWire
import SMTPDiagFamilies
import SMTPDiagTestSupport
import Testing

@testable import SMTPDiagPlan
@testable import SMTPDiagSpec

/// The spec fixtures of the spec module's tests, and this module's plan snapshots.
enum Fixtures {
    static let repository = TestRepository.root
    static let fixtures = repository.appendingPathComponent("Tests/SMTPDiagSpecTests/Fixtures")
    static let plans = repository.appendingPathComponent("Tests/SMTPDiagPlanTests/Fixtures/plans")
    static let environment = ["SMTPDIAG_LAB_NS1": "127.0.0.10"]

    static func files(_ folder: String) -> [String] {
        TestRepository.yamlFiles(in: fixtures.appendingPathComponent(folder))
    }

    static func snapshot(_ text: String, _ path: URL) throws {
        let mismatch = try Snapshot.mismatch(text, path)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }
}

@Suite("Plan compiler")
struct PlanCompilerTests {
    static func plan(_ paths: [String]) -> (CheckPlan, [SpecDiagnostic]) {
        let loaded = SpecLoader(environment: Fixtures.environment, families: Families.builtin.spec).load(paths: paths)
        let compiled = PlanCompiler(families: Families.builtin.plan).compile(loaded.files)
        return (compiled.plan, loaded.diagnostics + compiled.diagnostics)
    }

    static func render(_ plan: CheckPlan, cutting prefix: String) -> String {
        plan.checks.map { c in
            var line = "\(c.id)  \(c.location.description.replacingOccurrences(of: prefix, with: ""))"
            if !c.dependencies.isEmpty { line += "  after " + c.dependencies.map(\.rawValue).joined(separator: ", ") }
            return line + "\n  " + PlanDescription.describe(c.kind)
        }.joined(separator: "\n") + "\n"
    }

    static let examples: [String] = {
        let dir = Fixtures.repository.appendingPathComponent("specs").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".yaml") }
            .sorted()
    }()

    @Test(arguments: examples)
    func exampleSnapshots(_ name: String) throws {
        let path = Fixtures.repository.appendingPathComponent("specs/\(name)").path
        let (plan, diagnostics) = Self.plan([path])
        #expect(diagnostics.isEmpty)
        try Fixtures.snapshot(
            Self.render(plan, cutting: Fixtures.repository.path + "/"),
            Fixtures.plans.appendingPathComponent("\(name).plan"))
    }

    @Test(arguments: Fixtures.files("good"))
    func goodSnapshots(_ name: String) throws {
        let (plan, diagnostics) = Self.plan([Fixtures.fixtures.appendingPathComponent("good/\(name)").path])
        #expect(diagnostics.isEmpty)
        try Fixtures.snapshot(
            Self.render(plan, cutting: Fixtures.fixtures.path + "/"),
            Fixtures.plans.appendingPathComponent("\(name).plan"))
    }

    @Test func idsAreUniqueAndStable() {
        let paths =
            [Fixtures.repository.appendingPathComponent("specs").path]
            + Fixtures.files("good").map { Fixtures.fixtures.appendingPathComponent("good/\($0)").path }
        let (a, _) = Self.plan(paths)
        let (b, _) = Self.plan(paths)
        #expect(a.checks.map(\.id) == b.checks.map(\.id))
        #expect(Set(a.checks.map(\.id)).count == a.checks.count)
        #expect(a.checks.count > 100)
        // Every dependency names a check of the plan.
        let ids = Set(a.checks.map(\.id))
        for c in a.checks { for d in c.dependencies { #expect(ids.contains(d), "\(c.id) depends on missing \(d)") } }
    }

    @Test func contractIdForms() {
        let (plan, _) = Self.plan([Fixtures.repository.appendingPathComponent("specs/example.yaml").path])
        let ids = Set(plan.checks.map(\.id.rawValue))
        #expect(ids.contains("example.test/soa.serial@external[127.0.0.12]/tcp"))
        #expect(ids.contains("example.test/soa.serial@lab6[::1]:5353/udp"))
        #expect(ids.contains("example.test/soa.consistent"))
        #expect(ids.contains("example.test/smtp@mx:25/rcpt[no-such-user]"))
        #expect(ids.contains("example.test/records[_dmarc TXT]@internal[127.0.0.10]/udp"))
        #expect(ids.contains("example.test/mx_resolves@authoritative/tcp"))
    }

    @Test func everyDNSExpectationIsExpandedPerServerAndTransport() {
        let (plan, _) = Self.plan([Fixtures.repository.appendingPathComponent("specs/example.yaml").path])
        let mx = plan.checks.filter { $0.id.rawValue.hasPrefix("example.test/mx@") }
        // internal, external, lab6, authoritative x udp, tcp
        #expect(mx.count == 8)
    }

    @Test func routesCompileToTheSMTPDiagSequence() throws {
        let (plan, _) = Self.plan([Fixtures.repository.appendingPathComponent("specs/example.yaml").path])
        let route = plan.checks.filter { $0.id.rawValue.hasPrefix("route[") }
        let kinds = route.map { $0.id.rawValue.split(separator: "/")[1].split(separator: "@")[0] }
        #expect(kinds.first == "remote.soa")
        #expect(Array(kinds.suffix(5)) == ["smtp", "smtp", "smtp", "smtp", "smtp"])
        #expect(route.last?.id.rawValue.hasSuffix("/quit") == true)
        guard case .smtp(let session, _) = try #require(route.last).kind else {
            Issue.record("not an SMTP check")
            return
        }
        #expect(session.settings.mailFrom == "administrator@nwtraders.test")
        #expect(session.rcpt.map(\.address) == ["grotem@example.test"])
    }
}
