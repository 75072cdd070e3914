import Foundation
import SMTPDiagTestSupport
import Testing

/// The real binary against the lab. Skips when the lab is down, except under CI=true.
enum E2E {
    static let repository = TestRepository.root
    static let binary = repository.appendingPathComponent(".build/debug/smtpdiag-spec").path
    static let isUp = TestLab.isUp
    static let enabled = TestLab.enabled

    struct Output {
        var code: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ args: [String], environment: [String: String] = [:], interruptAfter: Duration? = nil) throws
        -> Output
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = repository
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["CI"] = "true"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        if let interruptAfter {
            Thread.sleep(
                forTimeInterval: Double(interruptAfter.components.seconds) + Double(
                    interruptAfter.components.attoseconds) / 1e18)
            kill(p.processIdentifier, SIGINT)
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(
            code: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }

    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func checks(_ doc: [String: Any]) -> [[String: Any]] { doc["checks"] as? [[String: Any]] ?? [] }

    static func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("smtpdiag-\(getpid())-\(name)").path
    }

    /// Durations and times vary from run to run.
    static func normalise(_ s: String) -> String {
        s.replacingOccurrences(of: #"\(\d+(\.\d+)?s\)"#, with: "(TIME)", options: .regularExpression)
    }
}

@Suite(
    "smtpdiag-spec run, end to end against the lab",
    .enabled(if: E2E.enabled, "the lab is not running: start it with scripts/lab up"), .serialized)
struct EndToEndTests {
    @Test func theExamplesPass() throws {
        let r = try E2E.run(["run", "specs/"])
        #expect(r.code == 0, "\(r.stdout.suffix(2000))")
        #expect(r.stdout.contains(" 0 fail, 0 error, 0 skip"))
        #expect(r.stdout.contains("PASS  example.test/smtp@mx1.example.test[127.0.0.11]:25/starttls  TLSv1."))
        #expect(r.stdout.contains("PASS  example.test/soa.consistent  SOA serial number match: Passed (2024010100)"))
    }

    static let failing: [(String, Int32, Set<String>)] = [
        ("serial-drift.yaml", 1, ["drift.test/soa.consistent"]),
        ("wrong-mx.yaml", 1, ["example.test/mx@internal[127.0.0.10]/udp"]),
        ("truncated-udp.yaml", 3, ["bigtxt.test/records[@ TXT]@internal[127.0.0.10]/udp"]),
        (
            "rcpt-550.yaml", 1,
            [
                "example.test/smtp@mx1.example.test[127.0.0.11]:25/rcpt[no-such-user]",
                "example.test/smtp@mx1.example.test[::1]:25/rcpt[no-such-user]",
            ]
        ),
        (
            "no-banner.yaml", 3,
            [
                "example.test/smtp@silent.example.test[127.0.0.14]:25/banner",
                "example.test/smtp@silent.example.test[127.0.0.14]:25/ehlo",
                "example.test/smtp@silent.example.test[127.0.0.14]:25/quit",
            ]
        ),
        ("mx-without-address.yaml", 1, ["noaddr.test/mx_resolves@internal[127.0.0.10]/udp"]),
    ]

    @Test(arguments: failing.map(\.0))
    func eachFailingSpecFailsAsExpected(_ name: String) throws {
        let (_, code, ids) = try #require(Self.failing.first { $0.0 == name })
        let json = E2E.temp("\(name).json")
        let r = try E2E.run(["run", "specs/failing/\(name)", "--report", "json=\(json)"])
        #expect(r.code == code, "\(r.stdout)")
        let bad = Set(
            E2E.checks(try E2E.json(json)).filter { ($0["status"] as? String) != "pass" }.compactMap {
                $0["id"] as? String
            })
        #expect(bad == ids)
    }

    @Test func reportsAreReadByRealConsumers() throws {
        let (junit, tap, json) = (E2E.temp("r.xml"), E2E.temp("r.tap"), E2E.temp("r.json"))
        let r = try E2E.run([
            "run", "specs/failing/", "--format", "tap", "--report", "junit=\(junit)", "--report", "tap=\(tap)",
            "--report", "json=\(json)",
        ])
        #expect(r.code == 1)
        let (status, output) = try TestLab.run([
            "python3", TestRepository.path("scripts/read-reports"), "--junit", junit, "--tap", tap, "--json", json,
        ])
        try #require(status == 0, "scripts/read-reports failed: scripts/test installs its Python packages")
        let seen = try #require(
            try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]])
        let summary = try #require(try E2E.json(json)["summary"] as? [String: Int])
        #expect(seen["json"]?["valid"] as? Bool == true)
        #expect(seen["junit"]?["tests"] as? Int == summary["total"])
        #expect(seen["junit"]?["failures"] as? Int == summary["fail"])
        #expect(seen["junit"]?["errors"] as? Int == summary["error"])
        #expect(seen["junit"]?["skipped"] as? Int == summary["skip"])
        #expect(seen["junit"]?["suites"] as? Int == 6)
        // Checks that did not pass carry their evidence; no suite takes longer than the run.
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<system-out>"), "\(xml.prefix(2000))")
        func seconds(_ tag: String) -> [Double] {
            xml.components(separatedBy: "<\(tag) ").dropFirst().compactMap { element in
                element.components(separatedBy: "time=\"").dropFirst().first.flatMap {
                    Double($0.prefix { $0 != "\"" })
                }
            }
        }
        let run = try #require(seconds("testsuites").first)
        #expect(seconds("testsuite").allSatisfy { $0 <= run }, "\(seconds("testsuite")) > \(run)")
        #expect(seen["tap"]?["version"] as? Int == 13)
        #expect(seen["tap"]?["plan"] as? Int == summary["total"])
        #expect(seen["tap"]?["not_ok"] as? Int == (summary["fail"] ?? 0) + (summary["error"] ?? 0))
        #expect(r.stdout.hasPrefix("TAP version 13\n"))
    }

    @Test func humanOutputSnapshot() throws {
        let r = try E2E.run([
            "run", "specs/failing/serial-drift.yaml", "specs/failing/wrong-mx.yaml", "specs/failing/truncated-udp.yaml",
        ])
        let path = E2E.repository.appendingPathComponent("Tests/SMTPDiagCLITests/Snapshots/failing.human.txt")
        let text = E2E.normalise(r.stdout)
        if ProcessInfo.processInfo.environment["UPDATE_SNAPSHOTS"] == "1" {
            try text.write(to: path, atomically: true, encoding: .utf8)
        }
        #expect(text == (try String(contentsOf: path, encoding: .utf8)))
        #expect(!r.stdout.contains("\u{1B}["))
    }

    @Test func theRunDeadlineStillWritesEveryReport() throws {
        let (json, junit) = (E2E.temp("deadline.json"), E2E.temp("deadline.xml"))
        let r = try E2E.run([
            "run", "specs/failing/no-banner.yaml", "--deadline", "300ms", "--report", "json=\(json)", "--report",
            "junit=\(junit)",
        ])
        #expect(r.code == 3)
        let doc = try E2E.json(json)
        #expect(doc["interrupted"] as? Bool == true)
        #expect(doc["interrupt_reason"] as? String == "the run deadline passed")
        let notRun = E2E.checks(doc).filter { ($0["message"] as? String)?.hasPrefix("not run") == true }
        #expect(!notRun.isEmpty)
        #expect(E2E.checks(doc).contains { ($0["status"] as? String) == "pass" })  // what finished is kept
        #expect(FileManager.default.fileExists(atPath: junit))
        #expect(r.stdout.contains("Run ended early"))
    }

    @Test func ctrlCStillWritesEveryReport() throws {
        let json = E2E.temp("sigint.json")
        let r = try E2E.run(
            ["run", "specs/failing/no-banner.yaml", "--report", "json=\(json)"], interruptAfter: .milliseconds(500))
        #expect(r.code == 3)
        let doc = try E2E.json(json)
        #expect(doc["interrupted"] as? Bool == true)
        #expect(E2E.checks(doc).contains { ($0["message"] as? String)?.hasPrefix("not run") == true })
        #expect(r.stderr.contains("interrupted"))
    }

    @Test func shardsTogetherAreTheWholePlan() throws {
        func ids(_ extra: [String]) throws -> [String] {
            let json = E2E.temp("shard\(extra.joined()).json".replacingOccurrences(of: "/", with: "-"))
            _ = try E2E.run(["run", "specs/", "--skip", "smtp", "--report", "json=\(json)"] + extra)
            return E2E.checks(try E2E.json(json)).compactMap { $0["plan_id"] as? String }
        }
        let all = Set(try ids([]))
        let shards = try (1...3).map { Set(try ids(["--shard", "\($0)/3"])) }
        #expect(shards.reduce(Set<String>()) { $0.union($1) } == all)
        #expect(shards.map(\.count).reduce(0, +) == all.count)
        #expect(shards.allSatisfy { !$0.isEmpty })
        #expect(try Set(ids(["--shard", "2/3"])) == shards[1])
    }

    @Test func filters() throws {
        let json = E2E.temp("filters.json")
        _ = try E2E.run(["run", "specs/", "--only", "example.test/mx@*", "--report", "json=\(json)"])
        let ran = E2E.checks(try E2E.json(json)).filter { ($0["status"] as? String) != "skip" }
        #expect(!ran.isEmpty)
        #expect(
            ran.allSatisfy {
                ($0["plan_id"] as? String)?.hasPrefix("example.test/mx@") == true
                    || ($0["plan_id"] as? String)?.contains("ns.discovery") == true
            })
        _ = try E2E.run(["run", "specs/", "--skip", "smtp", "--report", "json=\(json)"])
        let smtp = E2E.checks(try E2E.json(json)).filter { ($0["plan_id"] as? String)?.contains("/smtp") == true }
        #expect(!smtp.isEmpty && smtp.allSatisfy { ($0["message"] as? String) == "filtered out (--skip smtp)" })
        _ = try E2E.run(["run", "specs/", "--tag", "lab", "--report", "json=\(json)"])
        let tagged = E2E.checks(try E2E.json(json)).filter { ($0["status"] as? String) != "skip" }
        #expect(!tagged.isEmpty && tagged.allSatisfy { ($0["domain"] as? String) == "bigtxt.test" })
    }

    @Test func dnsServerOverride() throws {
        let json = E2E.temp("override.json")
        let r = try E2E.run([
            "run", "specs/failing/wrong-mx.yaml", "--dns-server", "internal=127.0.0.12", "--report", "json=\(json)",
        ])
        #expect(r.code == 1)
        #expect(
            E2E.checks(try E2E.json(json)).contains {
                ($0["id"] as? String) == "example.test/mx@internal[127.0.0.12]/udp"
            })
        let bad = try E2E.run(["run", "specs/failing/wrong-mx.yaml", "--dns-server", "nosuch=127.0.0.12"])
        #expect(bad.code == 2)
    }

    @Test func githubAnnotationsAndStepSummary() throws {
        let summary = E2E.temp("summary.md")
        try "".write(toFile: summary, atomically: true, encoding: .utf8)
        let r = try E2E.run(
            ["run", "specs/failing/serial-drift.yaml", "--format", "github"],
            environment: ["GITHUB_STEP_SUMMARY": summary])
        #expect(r.code == 1)
        #expect(r.stdout.contains("::error file=specs/failing/serial-drift.yaml,line=10,col="))
        let md = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(md.contains("## smtpdiag-spec"))
        #expect(md.contains("drift.test/soa.consistent"))
    }

    @Test func usageAndSpecErrorsExit2() throws {
        #expect(try E2E.run(["run", "--shard", "4/3", "specs/"]).code == 2)
        #expect(try E2E.run(["run", "--report", "xml=out", "specs/"]).code == 2)
        #expect(try E2E.run(["run", "--smtp-per-host", "0", "specs/"]).code == 2)
        let bad = try E2E.run(["run", "Tests/SMTPDiagSpecTests/Fixtures/bad/unknown-keys.yaml"])
        #expect(bad.code == 2)
        #expect(bad.stderr.contains("did you mean `mx_resolves`?"))
        #expect(try E2E.run(["lint", "specs/"]).code == 0)
    }
}
