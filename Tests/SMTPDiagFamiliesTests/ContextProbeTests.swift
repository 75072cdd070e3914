import Foundation
import SMTPDiagFamilies
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSMTP
import SMTPDiagSMTPWire
import SMTPDiagSpec
import SMTPDiagTestSupport
import Testing

/// Where a family's checks talk to: a probe of its own kind the run was given, and the run's SMTP probe.
/// `banner_says: WORDS` greets the host the `BannerHost` probe names and expects the words in its banner.
enum BannerSaysFamily: CheckFamily {
    static let key = "banner_says"

    /// A probe of a kind the runner does not know: here, only where to connect.
    struct BannerHost: Sendable {
        let address: String
    }

    struct Words: FamilyExpectation, FamilyCheckValue {
        let words: String
        var description: String { "the banner says \"\(words)\"" }
    }

    static func schema() -> SchemaFragment { SchemaFragment(["type": "string"]) }

    static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        reader.string(value, what: "words").map(Words.init)
    }

    static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard let w = entry.value as? Words else { return }
        domain.add(key, .family(FamilyCheck(family: key, value: w)), entry.location)
    }

    static func evaluate(_ value: any FamilyCheckValue, _ context: FamilyContext) async -> [CheckResult] {
        guard let w = value as? Words else { return [context.result(.error, "not a banner check")] }
        guard let host = context.probe(BannerHost.self) else { return [context.result(.error, "no banner host")] }
        let record = await context.smtpSession(
            address: host.address, port: 25, serverName: nil,
            configuration: SMTPSessionConfiguration(helo: "test.example", starttls: .off), tls: SMTPTLSSettings())
        guard let banner = record.banner?.lines.joined(separator: " ") else {
            return [context.result(.error, "no banner")]
        }
        let says = banner.contains(w.words)
        return [context.result(says ? .pass : .fail, says ? "says \"\(w.words)\"" : "banner: \(banner)")]
    }
}

@Suite("A family's checks reach the run's probes")
struct ContextProbeTests {
    static let registry = FamilyRegistry([BannerSaysFamily.self])

    static func run(_ probes: ProbeSet) async -> [CheckResult] {
        let yaml = "version: 1\ndomains:\n  probe.test: { banner_says: hello }\n"
        let loaded = SpecLoader(environment: [:], families: registry.spec).load(data: Data(yaml.utf8), path: "p.yaml")
        #expect(loaded.diagnostics.isEmpty)
        let plan = PlanCompiler(families: registry.plan).compile(loaded.files).plan
        #expect(plan.checks.map(\.id.rawValue) == ["probe.test/banner_says"])
        var record = SMTPSessionRecord()
        record.banner = SMTPReply(code: 220, lines: ["mx.probe.test ESMTP hello there"])
        var options = RunOptions()
        options.families = registry
        options.probes = probes
        let (results, _) = await Runner(
            dns: ScriptedDNS { _ in .timeout }, smtp: ScriptedSMTP(record: record), options: options
        )
        .run(plan)
        return Array(results)
    }

    @Test func theProbeGivenToTheRunIsTheOneTheFamilyGets() async {
        var probes = ProbeSet()
        probes[BannerSaysFamily.BannerHost.self] = .init(address: "127.0.0.11")
        #expect(probes[BannerSaysFamily.BannerHost.self]?.address == "127.0.0.11")
        #expect(await Self.run(probes).map(\.status) == [.pass])
        // Without it, the check could not run: an error, never a pass or a failure.
        let without = await Self.run(ProbeSet())
        #expect(without.map(\.status) == [.error] && without.first?.message == "no banner host")
    }
}
