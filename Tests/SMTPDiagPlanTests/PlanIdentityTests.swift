import Foundation
import SMTPDiagFamilies
import SMTPDiagSpec
import SMTPDiagTestSupport
import Testing

@testable import SMTPDiagPlan

/// Check ids are a contract (reports, JUnit names, `--only` globs in CI files): the plans of `specs/`,
/// `specs/failing/` and a generated 1,000-domain fleet keep exactly these ids, dependencies and order. A change
/// that means to change an id changes the fingerprint here, on purpose, in the same commit.
@Suite("Plan identity")
struct PlanIdentityTests {
    /// FNV-1a over the ids, each check's dependencies and the order: a change anywhere changes it. (The same
    /// as hashing `smtpdiag-spec plan --format json` of each file in turn: how the expected values were made,
    /// with the binary of the commit before the family registry.)
    static func fingerprint(_ plans: [CheckPlan]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ s: String) {
            for b in s.utf8 {
                h ^= UInt64(b)
                h = h &* 0x100_0000_01b3
            }
        }
        for plan in plans {
            for c in plan.checks {
                mix(c.id.rawValue)
                mix(" <- ")
                for d in c.dependencies { mix(d.rawValue + ",") }
                mix("\n")
            }
        }
        return String(h, radix: 16)
    }

    static func plan(_ paths: [String], environment: [String: String] = [:]) -> CheckPlan {
        let loaded = SpecLoader(environment: environment, families: Families.builtin.spec).load(paths: paths)
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let compiled = PlanCompiler(families: Families.builtin.plan).compile(loaded.files)
        #expect(compiled.diagnostics.isEmpty, "\(compiled.diagnostics)")
        return compiled.plan
    }

    @Test func theExampleSpecsKeepTheirIds() throws {
        let failing = try FileManager.default.contentsOfDirectory(atPath: TestRepository.path("specs/failing"))
            .filter { $0.hasSuffix(".yaml") }.sorted().map { TestRepository.path("specs/failing/\($0)") }
        #expect(failing.count == 6)
        let plans = ([TestRepository.path("specs/example.yaml")] + failing).map { Self.plan([$0]) }
        #expect(plans.reduce(0) { $0 + $1.checks.count } == 173)
        #expect(Self.fingerprint(plans) == "c713b8c341c2a106")
    }

    @Test func aGeneratedFleetKeepsItsIds() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-identity-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let spec = folder.appendingPathComponent("fleet.yaml").path
        let made = TestLab.output(["python3", TestRepository.path("scripts/gen-fleet-spec"), "1000", spec])
        try #require(made != nil && FileManager.default.fileExists(atPath: spec), "scripts/gen-fleet-spec did not run")
        let plan = Self.plan([spec])
        #expect(plan.checks.count == 22000)
        #expect(Self.fingerprint([plan]) == "bdeb3bc11415fce1")
    }
}
