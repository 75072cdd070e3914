import Foundation
import SMTPDiagFamilies
import Testing

@testable import SMTPDiagSpec

/// Specs written to crash the loader, exhaust it, or read what they should not.
@Suite("Hostile specs: durations, aliases, merge keys, environment, SMTP arguments")
struct HostileSpecTests {
    func load(_ text: String, environment: [String: String] = [:], allowed: Set<String> = []) -> SpecLoader.Result {
        var loader = SpecLoader(environment: environment, families: Families.builtin.spec)
        loader.allowedVariables = allowed
        return loader.load(data: Data(text.utf8), path: "hostile.yaml")
    }

    static func spec(dns: String = "", smtp: String = "") -> String {
        """
        version: 1
        dns_servers: { a: 127.0.0.10 }
        defaults:
          dns: { servers: [a]\(dns) }
          smtp: { helo: diag.example.net\(smtp) }
        domains:
          x.test: { mx: ["10 mx1"] }

        """
    }

    // MARK: - Durations

    @Test(arguments: ["10000000000s", "10000000000000000s", "86401s", "1441m", "25h", "1e300s", "inf s", "nans"])
    func durationsBeyondTheMaximumAreSpecErrors(_ text: String) {
        for (key, where_) in [("timeout", "dns"), ("connect_timeout", "smtp"), ("banner_timeout", "smtp")] {
            let r = load(
                Self.spec(
                    dns: where_ == "dns" ? ", \(key): \(text)" : "", smtp: where_ == "smtp" ? ", \(key): \(text)" : ""))
            #expect(r.diagnostics.count == 1, "\(key): \(text): \(r.diagnostics)")
            let d = r.diagnostics.first
            #expect(d?.path == "defaults.\(where_).\(key)")
            #expect(d?.location.line == (where_ == "dns" ? 4 : 5))
        }
    }

    @Test func theLongestDurationIsADay() {
        #expect(load(Self.spec(dns: ", timeout: 24h")).diagnostics.isEmpty)
        #expect(SpecDuration.parse("86400s") == .success(.seconds(86_400)))
        #expect(SpecDuration.parse("86400.001s") == .failure(.tooLong))
        #expect(SpecDuration.parse("1.5s") == .success(.milliseconds(1500)))
        #expect(SpecDuration.parse("1e3s") == .failure(.notADuration))
        #expect(SpecDuration.parse("-1s") == .failure(.notADuration))
        #expect(SpecDuration.parse("1..2s") == .failure(.notADuration))
    }

    // MARK: - Aliases and merge keys

    @Test func aLongChainOfAliasesIsRefusedNotRecursedInto() {
        // 50,000 levels, each an alias to the one before inside a new list: about 1 MB.
        var yaml = "version: 1\nchain:\n  - &a0 [x]\n"
        for i in 1..<50_000 { yaml += "  - &a\(i) [*a\(i - 1)]\n" }
        let r = load(yaml)
        #expect(r.files.isEmpty)
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.message.contains("nesting deeper than 200 levels") == true)
    }

    @Test func aLongChainOfMergeKeysIsRefused() {
        var yaml = "version: 1\nchain:\n  - &a0 {k0: 0}\n"
        for i in 1..<25_000 { yaml += "  - &a\(i) {<<: *a\(i - 1), k\(i): \(i)}\n" }
        let r = load(yaml)
        #expect(r.files.isEmpty)
        #expect(r.diagnostics.first?.message.contains("nesting deeper than 200 levels") == true)
    }

    @Test(arguments: [7, 9])
    func mergeKeysFanningOutAreCountedBeforeTheyAreBuilt(_ levels: Int) {
        // 566 octets that merge ten ways a level: 10^7 (or 10^9) pairs if built.
        var yaml = "version: 1\nl0: &l0 {a: 1, b: 2}\n"
        for i in 1...levels {
            yaml += "l\(i): &l\(i) {<<: [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]}\n"
        }
        yaml += "domains:\n  x.test: {<<: *l\(levels), mx: [\"0 .\"]}\n"
        let r = load(yaml)
        #expect(r.files.isEmpty)
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.message.contains("aliases expand the document by more than 1000000 nodes") == true)
    }

    @Test func ordinaryAnchorsAndMergesStillWork() {
        let yaml = """
            version: 1
            dns_servers: { a: 127.0.0.10 }
            defaults: { dns: { servers: [a] } }
            common: &common { mx: ["10 mx1"], ns: [ns1] }
            domains:
              x.test: { <<: *common }
              y.test: { <<: *common, ns: [ns2] }

            """
        let r = load(yaml)
        #expect(r.diagnostics.map(\.message).allSatisfy { $0.contains("unknown key `common`") })
        #expect(r.files.first?.domains.count == 2)
    }

    // MARK: - Environment

    @Test func aSpecMayReadOnlyItsOwnVariables() {
        let env = ["CI_SECRET_TOKEN": "hunter2", "SMTPDIAG_NS": "127.0.0.5", "ALLOWED": "127.0.0.6"]
        let yaml = """
            version: 1
            dns_servers:
              a: "${SMTPDIAG_NS}"
              b: "${CI_SECRET_TOKEN:-127.0.0.7}"
              c: "${ALLOWED}"
            domains:
              x.test: { dns: { servers: [a, b, c] }, mx: ["0 ."] }

            """
        let r = load(yaml, environment: env)
        #expect(r.diagnostics.count == 2, "\(r.diagnostics)")
        let secret = r.diagnostics.first { $0.path == "dns_servers.b" }
        #expect(secret?.message.contains("CI_SECRET_TOKEN may not be read by a spec") == true)
        #expect(secret?.message.contains("--env CI_SECRET_TOKEN") == true)
        #expect(!r.diagnostics.map(\.description).joined().contains("hunter2"))
        #expect(r.diagnostics.contains { $0.path == "dns_servers.c" })
        // The command line may allow more; the spec never can.
        let allowed = load(yaml, environment: env, allowed: ["ALLOWED"])
        #expect(allowed.diagnostics.map(\.path) == ["dns_servers.b"])
        #expect(allowed.files.isEmpty || allowed.files.first?.servers.map(\.host).contains("127.0.0.6") == true)
    }

    @Test func aDoubledDollarIsALiteral() {
        let yaml = """
            version: 1
            dns_servers: { a: 127.0.0.10 }
            domains:
              x.test:
                dns: { servers: [a] }
                records:
                  - { name: "@", type: TXT, equals: ["token=$${CI_SECRET_TOKEN:-none} and $$${SMTPDIAG_X}"] }

            """
        let r = load(yaml, environment: ["SMTPDIAG_X": "x"])
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        let records = r.files.first?.domains.first?.expectation("records") as? RecordsFamily.Expectation
        let values = (records?.records.first?.set.equals ?? []).compactMap { rdata -> String? in
            if case .txt(let t) = rdata { return t.joined }
            return nil
        }
        #expect(values == ["token=${CI_SECRET_TOKEN:-none} and $${SMTPDIAG_X}"])
    }

    // MARK: - Syntax errors in words

    @Test(arguments: [
        ("version: 1\ndomains:\n  x.test:\n\tmx: [\"0 .\"]\n", 4, 1, "a tab character: YAML indents with spaces only"),
        ("version: 1\ndomains:\n  x.test:\n    mx: [\"0 .\"]\n   ns: [ns1]\n", 5, 4, "indented differently"),
        ("version: 1\ndomains:\n  x.test:\n    mx: [\"0 .\"]\n      ns: [ns1]\n", 5, 7, "indented differently"),
        (
            "version: 1\ndomains:\n  x.test:\n    mx: [\"10 mx1\"\n    ns: [ns1]\n", 4, 9,
            "`[` at line 4, column 9 is not closed"
        ),
        ("version: 1\ndomains: {x.test: {mx: [\"0 .\"]}\n", 2, 10, "`{` at line 2, column 10 is not closed"),
        ("version: 1\ndomains: {a: \"x\n", 2, 14, "quoted text starting at line 2, column 14 is never closed"),
    ])
    func syntaxErrorsSayWhatAndWhere(_ text: String, _ line: Int, _ column: Int, _ words: String) {
        let r = load(text)
        #expect(r.diagnostics.count == 1)
        let d = r.diagnostics.first
        #expect(d?.location.line == line && d?.location.column == column, "\(d?.description ?? "")")
        #expect(d?.message.contains(words) == true, "\(d?.message ?? "")")
    }

    // MARK: - SMTP arguments

    @Test(arguments: ["a\u{1}b", "a\u{7f}b", "a\tb", String(repeating: "h", count: 256)])
    func lintRefusesWhatRunWouldRefuseToSend(_ helo: String) {
        let escaped = helo.unicodeScalars.map {
            $0.value < 0x20 || $0.value == 0x7F ? String(format: "\\x%02X", $0.value) : String($0)
        }.joined()
        let r = load(
            Self.spec(smtp: ", mail_from: \"a\(escaped)@x.test\"").replacingOccurrences(
                of: "helo: diag.example.net", with: "helo: \"\(escaped)\""))
        #expect(r.diagnostics.contains { $0.path == "defaults.smtp.helo" }, "\(r.diagnostics)")
        #expect(r.diagnostics.contains { $0.path == "defaults.smtp.mail_from" }, "\(r.diagnostics)")
    }
}
