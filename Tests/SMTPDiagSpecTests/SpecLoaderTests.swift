import Foundation
import SMTPDiagDNSWire
import SMTPDiagFamilies
import SMTPDiagPlan
import SMTPDiagTestSupport
import Testing

@testable import SMTPDiagSpec

enum SpecFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Fixtures")
    static let repository = TestRepository.root

    static func files(_ folder: String) -> [String] {
        TestRepository.yamlFiles(in: fixtures.appendingPathComponent(folder))
    }

    /// Writes the snapshot when UPDATE_SNAPSHOTS=1, and compares with it otherwise.
    static func snapshot(_ text: String, _ path: URL) throws {
        let mismatch = try Snapshot.mismatch(text, path)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    static let environment = ["SMTPDIAG_LAB_NS1": "127.0.0.10"]

    /// Diagnostics of loading and compiling one fixture, with the fixture folder cut from paths.
    static func diagnostics(_ folder: String, _ name: String) -> String {
        let path = fixtures.appendingPathComponent(folder).appendingPathComponent(name).path
        let loaded = SpecLoader(environment: environment, families: Families.builtin.spec).load(paths: [path])
        let compiled = PlanCompiler(families: Families.builtin.plan).compile(loaded.files)
        return (loaded.diagnostics + compiled.diagnostics).sorted().map {
            $0.description.replacingOccurrences(of: fixtures.path + "/", with: "")
        }.joined(separator: "\n") + "\n"
    }
}

@Suite("Spec loader and diagnostics")
struct SpecLoaderTests {
    @Test(arguments: SpecFixtures.files("good"))
    func goodSpecsLoadWithoutDiagnostics(_ name: String) {
        #expect(SpecFixtures.diagnostics("good", name) == "\n")
    }

    @Test func theShippedExamplesAreValid() {
        let loaded = SpecLoader(families: Families.builtin.spec).load(paths: [
            SpecFixtures.repository.appendingPathComponent("specs").path
        ])
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(!loaded.files.isEmpty)
        #expect(PlanCompiler(families: Families.builtin.plan).compile(loaded.files).diagnostics.isEmpty)
    }

    @Test(arguments: SpecFixtures.files("bad"))
    func badSpecsGiveTheExactDiagnostics(_ name: String) throws {
        let text = SpecFixtures.diagnostics("bad", name)
        #expect(text != "\n", "no diagnostic for \(name)")
        try SpecFixtures.snapshot(text, SpecFixtures.fixtures.appendingPathComponent("bad/\(name).expected"))
    }

    @Test func everyDiagnosticHasALocationAndAPath() {
        for name in SpecFixtures.files("bad") {
            let path = SpecFixtures.fixtures.appendingPathComponent("bad/\(name)").path
            for d in SpecLoader(environment: [:], families: Families.builtin.spec).load(paths: [path]).diagnostics {
                #expect(d.location.line >= 1 && d.location.column >= 1)
                #expect(d.location.file == path)
            }
        }
    }

    @Test func allErrorsOfAllFilesInOneRun() {
        let folder = SpecFixtures.fixtures.appendingPathComponent("bad").path
        let loaded = SpecLoader(environment: [:], families: Families.builtin.spec).load(paths: [folder])
        let all = loaded.diagnostics + PlanCompiler(families: Families.builtin.plan).compile(loaded.files).diagnostics
        let files = Set(all.map(\.location.file))
        #expect(files.count == SpecFixtures.files("bad").count)
        #expect(all.count > 30)
    }

    @Test func typedModel() throws {
        let path = SpecFixtures.fixtures.appendingPathComponent("good/forms.yaml").path
        let loaded = SpecLoader(environment: SpecFixtures.environment, families: Families.builtin.spec).load(paths: [
            path
        ])
        let file = try #require(loaded.files.first)
        #expect(file.servers.map(\.host) == ["127.0.0.10", "127.0.0.12", "::1"])
        #expect(file.servers.map(\.port) == [53, 53, 5353])
        #expect(file.defaultDNS.timeout == .milliseconds(500))
        #expect(file.defaultSMTP.commandTimeout == .milliseconds(1500))
        #expect(file.defaultSMTP.connectTimeout == .seconds(60))
        #expect(file.defaultSMTP.starttls == .off)
        #expect(file.defaultSMTP.mailFrom == "")
        let d = try #require(file.domains.first)
        #expect(d.name == "example.test.")
        #expect(
            (d.expectation("mx") as? ApexRecordSet)?.set.equals == [
                try RData(type: .mx, presentation: "10 mx1.example.test."),
                try RData(type: .mx, presentation: "20 mx2.example.test."),
            ])
        let ns = d.expectation("ns") as? ApexRecordSet
        #expect(ns?.set.count == .exact(2))
        #expect(ns?.set.ttl == .range(min: 60, max: 86400))
        #expect(
            (d.expectation("records") as? RecordsFamily.Expectation)?.records.map(\.type) == [
                RecordType(rawValue: 65280), RecordType(rawValue: 65280), .txt, .srv,
            ])
        let smtp = try #require((d.expectation("smtp") as? SMTPFamily.Expectation)?.spec)
        guard case .list(let hosts) = smtp.hosts else {
            Issue.record("hosts")
            return
        }
        #expect(hosts.map(\.description) == ["mx1.example.test.", "mx2.example.test.:2525", "127.0.0.11", "[::1]:25"])
        #expect(smtp.expect.banner?.value == .replyClass(2))
        #expect(smtp.expect.ehlo?.value == .anyOf([250, 251]))
        #expect(smtp.expect.rcpt.map(\.address) == ["postmaster@example.test", "abuse@example.test"])
        #expect(smtp.expect.rcpt[0].reply == .detailed(code: .replyClass(2), enhanced: nil, text: "ok"))
        #expect((file.families.first?.value as? RoutesFamily.Expectation)?.routes.first?.tags == ["smoke"])
    }

    @Test func replyMatching() {
        let e = ReplyExpectation.detailed(code: .exact(550), enhanced: "5.1.1", text: "unknown")
        #expect(e.matches(code: 550, enhanced: "5.1.1", text: "User unknown in virtual mailbox table"))
        #expect(!e.matches(code: 550, enhanced: "5.7.1", text: "User unknown"))
        #expect(!e.matches(code: 554, enhanced: "5.1.1", text: "unknown"))
        #expect(ReplyExpectation.replyClass(5).matches(code: 554, enhanced: nil, text: ""))
        #expect(ReplyExpectation.anyOf([250, 251]).matches(code: 251, enhanced: nil, text: ""))
    }

    @Test func environmentVariables() throws {
        let yaml =
            "version: 1\ndns_servers:\n  a: \"${SMTPDIAG_NS:-127.0.0.9}\"\n  b: \"${SMTPDIAG_NS}\"\ndomains:\n  x.test:\n    dns: {servers: [a, b]}\n    mx: [\"0 .\"]\n"
        let set = SpecLoader(environment: ["SMTPDIAG_NS": "127.0.0.5"], families: Families.builtin.spec).load(
            data: Data(yaml.utf8), path: "env.yaml")
        #expect(set.diagnostics.isEmpty)
        #expect(set.files.first?.servers.map(\.host) == ["127.0.0.5", "127.0.0.5"])
        let unset = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data(yaml.utf8), path: "env.yaml")
        #expect(unset.files.first?.servers.map(\.host) == ["127.0.0.9"])
        #expect(
            unset.diagnostics.map(\.description) == [
                "env.yaml:4:6: error: dns_servers.b: environment variable SMTPDIAG_NS is not set and has no default (${SMTPDIAG_NS:-default})"
            ])
    }

    @Test func aDomainInSeveralFilesButNotTheSameCheckTwice() {
        func load(_ text: String, _ path: String) -> [SpecFile] {
            SpecLoader(environment: [:], families: Families.builtin.spec).load(data: Data(text.utf8), path: path).files
        }
        let a = load("version: 1\ndomains:\n  x.test:\n    mx: [\"0 .\"]\n", "a.yaml")
        let b = load("version: 1\ndomains:\n  X.test.:\n    mx: [\"0 .\"]\n", "b.yaml")
        let c = load("version: 1\ndomains:\n  x.test:\n    ns: [ns1]\n", "c.yaml")
        let compiled = PlanCompiler(families: Families.builtin.plan).compile(a + b + c)
        #expect(compiled.diagnostics.count == 4)
        #expect(
            compiled.diagnostics.first?.description
                == "b.yaml:4:9: error: x.test/mx@system/tcp: this check is also defined at a.yaml:4:9")
        #expect(PlanCompiler(families: Families.builtin.plan).compile(a + c).diagnostics.isEmpty)
    }

}

@Suite("Hostile YAML")
struct HostileYAMLTests {
    func load(_ text: String) -> SpecLoader.Result {
        SpecLoader(environment: [:], families: Families.builtin.spec).load(data: Data(text.utf8), path: "hostile.yaml")
    }

    @Test func billionLaughs() {
        var yaml = "version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        yaml += "domains:\n  x.test:\n    records:\n"
        for _ in 0..<2000 { yaml += "      - {name: \"@\", type: TXT, contains: *a0}\n" }
        let r = load(yaml)
        #expect(r.files.isEmpty)
        #expect(r.diagnostics.contains { $0.message.contains("aliases expand the document by more than") })
    }

    @Test func aliasExpansionBudget() {
        var yaml = "version: 1\ndomains:\n  x.test: &d\n    records: &r\n"
        for _ in 0..<200 { yaml += "      - {name: \"@\", type: TXT, contains: [a, b, c, d]}\n" }
        for i in 0..<400 { yaml += "  y\(i).test: {records: *r}\n" }
        var loader = SpecLoader(environment: [:], families: Families.builtin.spec)
        loader.maxNodes = 100_000
        let r = loader.load(data: Data(yaml.utf8), path: "bomb.yaml")
        #expect(r.diagnostics.contains { $0.message.contains("expands to more than 100000 nodes") })
    }

    @Test func tenThousandDeepFlowNesting() {
        let yaml =
            "version: 1\ndomains: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
            + "\n"
        let r = load(yaml)
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.message.contains("nesting deeper than 200 levels") == true)
    }

    @Test func tenThousandDeepBlockNesting() {
        var yaml = "version: 1\ndomains:\n"
        for i in 0..<10_000 { yaml += String(repeating: " ", count: i + 1) + "k\(i):\n" }
        let r = load(yaml)
        #expect(r.diagnostics.first?.message.contains("nesting deeper than") == true)
        let dashes =
            "version: 1\ndomains: \n  x.test:\n    records:\n      " + String(repeating: "- ", count: 10_000) + "x\n"
        #expect(load(dashes).diagnostics.first?.message.contains("nesting deeper than") == true)
    }

    @Test func hundredMegabyteFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("smtpdiag-huge-\(getpid()).yaml")
        #expect(FileManager.default.createFile(atPath: url.path, contents: Data("version: 1\n".utf8)))
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 100 << 20)
        try handle.close()
        defer { try? FileManager.default.removeItem(at: url) }
        let r = SpecLoader(environment: [:], families: Families.builtin.spec).load(paths: [url.path])
        #expect(r.diagnostics.map(\.message) == ["the file is 104857600 bytes; spec files are limited to 16777216"])
    }

    @Test func notUTF8() {
        var bytes = Array("version: 1\ndomains:\n  ex".utf8)
        bytes += [0xC3, 0x28, 0xFF]
        bytes += Array("ample.test: {}\n".utf8)
        let r = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data(bytes), path: "latin1.yaml")
        #expect(
            r.diagnostics.map(\.description) == [
                "latin1.yaml:3:5: error: the file is not UTF-8 (invalid byte 0xc3 at offset 24)"
            ])
    }

    @Test func emptyAndNullDocuments() {
        #expect(load("").diagnostics.map(\.message) == ["the file is empty"])
        #expect(!load("~\n").diagnostics.isEmpty)
        #expect(!load("- just\n- a list\n").diagnostics.isEmpty)
    }

    @Test func literalBlocksDoNotCountAsNesting() {
        var yaml =
            "version: 1\ndomains:\n  x.test:\n    records:\n      - name: \"@\"\n        type: TXT\n        contains:\n          - |\n"
        for i in 0..<300 { yaml += String(repeating: " ", count: 12 + i) + "line\n" }
        #expect(load(yaml).diagnostics.isEmpty)
    }
}

@Suite("JSON Schema")
struct SchemaTests {
    @Test func committedCopyEqualsThePrintedOne() throws {
        let committed = try String(
            contentsOf: SpecFixtures.repository.appendingPathComponent("schema/smtpdiag-spec.schema.json"),
            encoding: .utf8)
        #expect(
            committed == SpecSchema.json(families: Families.builtin.spec),
            "schema/smtpdiag-spec.schema.json is stale: smtpdiag-spec schema > it")
    }

    /// Every good example validates with Python's jsonschema, and every bad one is rejected, except those
    /// whose only errors are semantic (marked in their first line).
    @Test func realValidatorAgrees() throws {
        let good =
            SpecFixtures.files("good").map { SpecFixtures.fixtures.appendingPathComponent("good/\($0)").path }
            + ((try? FileManager.default.contentsOfDirectory(
                atPath: SpecFixtures.repository.appendingPathComponent("specs").path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.map { SpecFixtures.repository.appendingPathComponent("specs/\($0)").path }
        let bad = SpecFixtures.files("bad").map { SpecFixtures.fixtures.appendingPathComponent("bad/\($0)").path }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments =
            [
                "python3", SpecFixtures.repository.appendingPathComponent("scripts/validate-schema").path,
                SpecFixtures.repository.appendingPathComponent("schema/smtpdiag-spec.schema.json").path,
            ] + good + bad
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "scripts/validate-schema failed (pip install jsonschema pyyaml)")
        let verdicts = Dictionary(
            uniqueKeysWithValues: out.split(separator: "\n").map { line -> (String, Bool) in
                let valid = line.hasPrefix("valid ")
                let rest = line.dropFirst(valid ? 6 : 8)
                let path = rest.split(separator: ":", maxSplits: 1).first.map(String.init) ?? String(rest)
                return (path, valid)
            })
        for path in good { #expect(verdicts[path] == true, "\(path) should validate") }
        for path in bad {
            let semanticOnly =
                (try? String(contentsOfFile: path, encoding: .utf8))?.hasPrefix("# schema: valid") ?? false
            #expect(verdicts[path] == semanticOnly, "\(path): schema says \(String(describing: verdicts[path]))")
        }
    }
}

@Suite("Spec model values")
struct SpecModelValueTests {
    /// The expectation's fields share one box between copies: changing a copy must not change the original.
    @Test func recordSetExpectationCopiesAreIndependent() {
        let here = SourceLocation(file: "f.yaml", line: 1, column: 1)
        let original = RecordSetExpectation(count: .exact(2), location: here)
        var copy = original
        #expect(copy == original)
        #expect(Set([copy, original]).count == 1)
        copy.count = .exact(3)
        copy.absent = true
        #expect(original.count == .exact(2))
        #expect(!original.absent)
        #expect(copy != original)
        #expect(copy == RecordSetExpectation(count: .exact(3), absent: true, location: here))
    }
}
