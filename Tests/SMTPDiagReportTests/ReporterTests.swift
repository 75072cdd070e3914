import Foundation
import SMTPDiagPlan
import SMTPDiagSpec
import Testing

@testable import SMTPDiagReport
@testable import SMTPDiagRunner

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite("Reporters")
struct ReporterTests {
    static func result(_ id: String, _ status: CheckStatus, _ message: String) -> CheckResult {
        result(CheckID(id), status, message)
    }

    static func result(_ id: CheckID, _ status: CheckStatus, _ message: String) -> CheckResult {
        CheckResult(
            id: id, planID: id, status: status, message: message,
            expected: status == .fail ? "250" : nil,
            actual: status == .fail ? "550 <a&b>" : nil, missing: status == .fail ? ["x"] : [],
            location: SourceLocation(file: "/w/specs/a.yaml", line: 3, column: 5), domain: "example.test", tags: [],
            duration: .milliseconds(12))
    }

    static let report = RunReport(
        results: [
            result("example.test/mx@ns1[127.0.0.10]/udp", .pass, "ok"),
            result(
                "example.test/smtp@mx1[127.0.0.11]:25/rcpt[x]", .fail, "got 550 \"quoted\" <tag> & more\nsecond line"),
            result("example.test/soa.consistent", .error, "timeout: 100% gone, a:b"),
            result("example.test/records[# TXT]@ns1/udp", .skip, "filtered out (--tag)"),
        ], started: 0, duration: .milliseconds(1500), interrupted: false, files: ["/w/specs/a.yaml"])

    static let options = ReportOptions(color: false, verbose: false, relativeTo: "/w")

    /// Reports of several megabytes come in pieces; the pieces must make the same report as one string, and
    /// that report must still be read by its consumers' rules (JSON parsed, every check present; TAP's plan).
    @Test(arguments: [OutputFormat.json, .junit, .tap])
    func largeReportsStreamedInPieces(_ format: OutputFormat) throws {
        let statuses = CheckStatus.allCases
        let results = (0..<6000).map { i in
            Self.result(
                "d\(i).test/records[@ TXT]@ns1[127.0.0.10]/udp", statuses[i % 4],
                String(repeating: "v=spf1 \"quoted\" & <more> ", count: 20) + "#\(i)")
        }
        let big = RunReport(
            results: ResultList(results), started: 0, duration: .seconds(3), interrupted: false,
            files: ["/w/specs/a.yaml"])
        var pieces: [String] = []
        format.reporter.write(big, options: Self.options) { pieces.append($0) }
        #expect(pieces.count > 2)
        let whole = pieces.joined()
        #expect(whole == format.reporter.render(big, options: Self.options))
        switch format {
        case .json:
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(whole.utf8)) as? [String: Any])
            let checks = try #require(parsed["checks"] as? [[String: Any]])
            #expect(checks.count == 6000)
            #expect(checks.last?["id"] as? String == "d5999.test/records[@ TXT]@ns1[127.0.0.10]/udp")
        case .tap:
            let lines = whole.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.prefix(2) == ["TAP version 13", "1..6000"])
            #expect(lines.filter { $0.hasPrefix("ok ") || $0.hasPrefix("not ok ") }.count == 6000)
            #expect(lines.last == "")
        default:
            #expect(whole.components(separatedBy: "<testcase ").count - 1 == 6000)
            #expect(whole.hasSuffix("</testsuites>\n"))
        }
    }

    @Test func exitCodes() {
        #expect(Self.report.exitCode == 1)
        var onlyError = Self.report
        onlyError.results.remove(at: 1)
        #expect(onlyError.exitCode == 3)
        var clean = onlyError
        clean.results.remove(at: 1)
        #expect(clean.exitCode == 0)
        clean.interrupted = true
        #expect(clean.exitCode == 3)
    }

    @Test func human() {
        let text = HumanReporter().render(Self.report, options: Self.options)
        #expect(text.contains("FAIL  example.test/smtp@mx1[127.0.0.11]:25/rcpt[x]"))
        #expect(text.contains("        at specs/a.yaml:3:5"))
        #expect(text.contains("        missing:  x"))
        #expect(text.hasSuffix("Summary: 4 checks in 1 file(s): 1 pass, 1 fail, 1 error, 1 skip (1.5s)\n"))
        #expect(!text.contains("\u{1B}["))
        let colored = HumanReporter().render(Self.report, options: ReportOptions(color: true))
        #expect(colored.contains("\u{1B}[31mFAIL \u{1B}[0m"))
    }

    @Test func junitEscapes() throws {
        let xml = JUnitReporter().render(Self.report, options: Self.options)
        #expect(xml.contains("&lt;tag&gt; &amp; more"))
        #expect(xml.contains("<skipped message=\"filtered out (--tag)\"/>"))
        // A real XML parser reads it.
        let doc = try XMLDocument(data: Data(xml.utf8))
        #expect(try doc.nodes(forXPath: "//testcase").count == 4)
        #expect(try doc.nodes(forXPath: "//failure").count == 1)
        #expect(try doc.nodes(forXPath: "//error").count == 1)
    }

    @Test func tap() {
        let lines = TAPReporter().render(Self.report, options: Self.options).split(separator: "\n").map(String.init)
        #expect(lines[0] == "TAP version 13")
        #expect(lines[1] == "1..4")
        #expect(lines.contains("ok 1 - example.test/mx@ns1[127.0.0.10]/udp"))
        #expect(lines.contains("not ok 2 - example.test/smtp@mx1[127.0.0.11]:25/rcpt[x]"))
        #expect(lines.contains("ok 4 - example.test/records[\\# TXT]@ns1/udp # SKIP filtered out (--tag)"))
        #expect(lines.contains("  message: \"got 550 \\\"quoted\\\" <tag> & more\\nsecond line\""))
    }

    @Test func github() {
        let text = GitHubReporter().render(Self.report, options: Self.options)
        #expect(
            text.contains(
                "::error file=specs/a.yaml,line=3,col=5,title=example.test/smtp@mx1[127.0.0.11]%3A25/rcpt[x]::got 550"))
        // A line break inside a message (server text) is shown, never passed on: only ours separate fields.
        #expect(text.contains("more\\nsecond line%0Aexpected: 250"))
        #expect(
            text.contains(
                "::warning file=specs/a.yaml,line=3,col=5,title=example.test/soa.consistent::timeout: 100%25 gone"))
        let md = GitHubReporter.stepSummary(Self.report, options: Self.options)
        #expect(md.contains("| 4 | 1 | 1 | 1 | 1 |"))
    }

    @Test func jsonIsVersioned() throws {
        let text = JSONReporter().render(Self.report, options: Self.options)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(doc["format"] as? String == "smtpdiag-spec-report")
        #expect(doc["version"] as? Int == 1)
        #expect(doc["exit_code"] as? Int == 1)
        #expect((doc["checks"] as? [[String: Any]])?.count == 4)
    }

    /// Every character a message can hold comes back from a JSON parser as it was: quotes, backslashes,
    /// control characters (escaped), and UTF-8 beyond ASCII (kept as it is).
    @Test func jsonStringsReadBackAsTheyWere() throws {
        let texts = [
            "plain", "", "\"quoted\" and \\back\\slashed", "tab\there\nnew line\r\n", "\u{01}\u{1F}\u{7F} end",
            "accented é, CJK 日本, emoji 📫", "\\u0041 is not an escape here",
        ]
        let report = RunReport(
            results: ResultList(
                texts.enumerated().map { Self.result("example.test/t\($0.offset)", .pass, $0.element) }),
            started: 0, duration: .milliseconds(1), interrupted: false, files: [])
        let text = JSONReporter().render(report, options: Self.options)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let checks = try #require(doc["checks"] as? [[String: Any]])
        #expect(checks.map { $0["message"] as? String } == texts)
        // Control characters never appear raw.
        #expect(!text.utf8.contains(where: { $0 < 0x20 && $0 != 0x0A }))
        #expect(text.contains("\\u0001\\u001f"))
    }
}

@Suite("Human report: advice, selection and expansion counted")
struct HumanSummaryTests {
    @Test func adviceUnselectedAndExpandedChecksAreCountedApart() {
        var advice = ReporterTests.result("route[0]/local.mx@internal[127.0.0.12]/udp", .fail, "no MX")
        advice.advisory = true
        var unselected = ReporterTests.result(
            "example.test/soa.serial@a[127.0.0.10]/udp", .skip, "filtered out (--tag)")
        unselected.unselected = true
        var report = RunReport(
            results: [
                ReporterTests.result("example.test/mx@ns1[127.0.0.10]/udp", .pass, "ok"),
                ReporterTests.result("example.test/mx@ns2[127.0.0.12]/udp", .pass, "ok"), advice, unselected,
            ], started: 0, duration: .seconds(1), interrupted: false, files: ["/w/specs/a.yaml"])
        report.planned = 2
        let out = HumanReporter().render(report, options: ReportOptions(relativeTo: "/w"))
        #expect(
            out.contains(
                "ADVICE route[0]/local.mx@internal[127.0.0.12]/udp  no MX (advisory: does not change the exit code)"))
        #expect(!out.contains("filtered out"))
        #expect(
            out.hasSuffix(
                "Summary: 3 checks (2 planned, 3 after expanding servers) in 1 file(s): 2 pass, 0 fail, 0 error, 0 skip, "
                    + "1 advice; 1 not selected (1.0s)\n"), "\(out)")
        #expect(report.exitCode == 0)
    }
}

/// Bytes a server chose (an SMTP banner, a CAA tag, a TXT value) reach the console only escaped.
@Suite("Reporters: server bytes on a terminal and in CI logs")
struct HostileOutputTests {
    static let hostile =
        "220 mx\n::error file=x,line=1::forged\u{1B}]0;pwned\u{07}\u{1B}[2J\rover\u{85}\u{202E}txt"

    static func report() -> RunReport {
        let mx1 = Endpoint(name: "mx1", address: "127.0.0.11", port: 25)
        var bad = ReporterTests.result(
            CheckID(.domain("example.test"), "smtp", server: mx1, step: "banner"), .fail, Self.hostile)
        bad.expected = Self.hostile
        bad.actual = Self.hostile
        bad.missing = [Self.hostile]
        bad.evidence.smtp = ["Received: " + Self.hostile]
        bad.evidence.dns = ["example.test. 300 IN CAA 0 " + Self.hostile]
        bad.evidence.tls = ["subject": Self.hostile]
        var error = ReporterTests.result("example.test/soa.consistent", .error, Self.hostile)
        error.evidence.smtp = ["Received: " + Self.hostile]
        var pass = ReporterTests.result(
            CheckID(.domain("example.test"), "smtp", server: mx1, step: "ehlo"), .pass, Self.hostile)
        pass.evidence.smtp = ["Received: " + Self.hostile]
        return RunReport(
            results: [bad, error, pass], started: 0, duration: .seconds(1), interrupted: false,
            files: ["/w/specs/a.yaml"])
    }

    static func assertSafe(_ output: String, colour: Bool) {
        // Our own colours are the only escape sequences: `ESC[` followed by digits and `m`.
        let withoutColours = output.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        for scalar in withoutColours.unicodeScalars where scalar != "\n" {
            #expect(
                !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x202E),
                "control character \(String(scalar.value, radix: 16)) in the output")
        }
        for line in withoutColours.split(separator: "\n") {
            #expect(!line.hasPrefix("::"), "a line starts with server text: \(line)")
        }
        #expect(output.contains("\\x1b]0;pwned\\x07\\x1b[2J\\rover\\x85\\u{202e}txt"))
        #expect(output.contains("220 mx\\n::error file=x,line=1::forged"))
        if !colour { #expect(!output.contains("\u{1B}")) }
    }

    @Test(arguments: [false, true])
    func humanReport(_ colour: Bool) {
        let out = HumanReporter().render(
            Self.report(), options: ReportOptions(color: colour, verbose: true, relativeTo: "/w"))
        Self.assertSafe(out, colour: colour)
    }

    @Test(arguments: [false, true])
    func diagConsole(_ colour: Bool) {
        let out = DiagReporter(from: "a@example.test", to: "b@example.test").render(
            Self.report(), options: ReportOptions(color: colour, verbose: true, relativeTo: "/w"))
        Self.assertSafe(out, colour: colour)
    }

    @Test func tapCarriesNoRawControlCharacters() {
        let out = TAPReporter().render(Self.report(), options: ReportOptions(relativeTo: "/w"))
        for scalar in out.unicodeScalars where scalar != "\n" {
            #expect(!(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x202E))
        }
        #expect(out.contains("  message: \"220 mx\\n::error file=x,line=1::forged\\x1b]0;pwned\\x07"))
    }

    @Test func githubAnnotationsCannotBeForged() {
        let out = GitHubReporter().render(Self.report(), options: ReportOptions(relativeTo: "/w"))
        for line in out.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            #expect(
                line.hasPrefix("::error file=specs/a.yaml,") || line.hasPrefix("::warning file=specs/a.yaml,")
                    || line.hasPrefix("smtpdiag-spec: "), "\(line)")
        }
        #expect(!out.contains("\u{1B}") && !out.contains("\r"))
        let md = GitHubReporter.stepSummary(Self.report(), options: ReportOptions(relativeTo: "/w"))
        #expect(!md.contains("\u{1B}") && !md.contains("\r"))
    }
}
