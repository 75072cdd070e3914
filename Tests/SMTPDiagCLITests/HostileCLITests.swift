import Foundation
import Testing

/// The binary under hostile command lines, environments and standard outputs.
@Suite(
    "The command line: durations, environment, standard output that fails",
    .enabled(if: E2E.enabled, "the lab is not running: start it with scripts/lab up"), .serialized)
struct HostileCLITests {
    /// One DNS check against the lab's NSD: a run that passes.
    static func passingSpec() throws -> String {
        let path = E2E.temp("one-check.yaml")
        try """
        version: 1
        dns_servers: { nsd: 127.0.0.10 }
        defaults: { dns: { servers: [nsd], transports: [udp] } }
        domains:
          example.test: { ns: [ns1, ns2] }

        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs the binary with standard output sent where the test says; returns the exit code and standard error.
    static func run(_ args: [String], stdout: FileHandle, closeReader: FileHandle? = nil) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: E2E.binary)
        p.arguments = args
        p.currentDirectoryURL = E2E.repository
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        p.environment = env
        let err = Pipe()
        p.standardOutput = stdout
        p.standardError = err
        try p.run()
        try closeReader?.close()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: e, as: UTF8.self))
    }

    @Test func aFullStandardOutputStillWritesTheReports() throws {
        let spec = try Self.passingSpec()
        let json = E2E.temp("full.json")
        try? FileManager.default.removeItem(atPath: json)
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        let (code, stderr) = try Self.run(["run", spec, "--report", "json=\(json)"], stdout: full)
        #expect(code == 3, "\(stderr)")
        #expect(stderr.contains("cannot write standard output: No space left on device"), "\(stderr)")
        #expect(E2E.checks(try E2E.json(json)).count == 1)
    }

    @Test func aClosedPipeEndsQuietlyWithTheRunsCode() throws {
        let spec = try Self.passingSpec()
        let json = E2E.temp("pipe.json")
        try? FileManager.default.removeItem(atPath: json)
        let pipe = Pipe()
        // The reader goes away before anything is written (`| head -c 0`).
        let (code, stderr) = try Self.run(
            ["run", spec, "--report", "json=\(json)", "-v"], stdout: pipe.fileHandleForWriting,
            closeReader: pipe.fileHandleForReading)
        #expect(code == 0, "\(stderr)")
        #expect(!stderr.contains("cannot write"), "\(stderr)")
        #expect(E2E.checks(try E2E.json(json)).count == 1)
    }

    @Test func aReportThatCannotBeWrittenIsSaidLastAndIsNotAPass() throws {
        let spec = try Self.passingSpec()
        let r = try E2E.run(["run", spec, "--report", "json=/nonexistent-dir/r.json"])
        #expect(r.code == 3)
        let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("cannot write the report /nonexistent-dir/r.json"), "\(r.stderr)")
    }

    @Test(arguments: [
        ["run", "specs/example.yaml", "--deadline", "1e300s"],
        ["run", "specs/example.yaml", "--deadline", "100000000000000000000s"],
        ["query", "example.test", "-s", "127.0.0.10", "--timeout", "1e300"],
        ["query", "example.test", "-s", "127.0.0.10", "--timeout", "inf"],
        ["query", "example.test", "-s", "127.0.0.10", "--retries", "1000000000"],
    ])
    func hugeDurationsOnTheCommandLineAreUsageErrors(_ args: [String]) throws {
        let r = try E2E.run(args)
        #expect(r.code == 2, "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
    }

    @Test(arguments: ["timeout: 10000000000s", "timeout: 10000000000000000s"])
    func hugeDurationsInASpecAreSpecErrors(_ setting: String) throws {
        let path = E2E.temp("huge-duration.yaml")
        try """
        version: 1
        dns_servers: { nsd: 127.0.0.10 }
        defaults: { dns: { servers: [nsd], \(setting) } }
        domains:
          example.test: { ns: [ns1, ns2] }

        """.write(toFile: path, atomically: true, encoding: .utf8)
        for command in ["lint", "run"] {
            let r = try E2E.run([command, path])
            #expect(r.code == 2, "\(command): \(r.stderr)")
            #expect(r.stderr.contains("\(path):3:"), "\(r.stderr)")
            #expect(r.stderr.contains("longer than the maximum of 24h"), "\(r.stderr)")
        }
    }

    @Test func aSpecCannotReadOtherVariablesUnlessTheCommandLineAllowsThem() throws {
        let path = E2E.temp("env.yaml")
        try """
        version: 1
        dns_servers: { nsd: "${LAB_DNS_ADDRESS}" }
        defaults: { dns: { servers: [nsd], transports: [udp] } }
        domains:
          example.test: { ns: [ns1, ns2] }

        """.write(toFile: path, atomically: true, encoding: .utf8)
        let env = ["LAB_DNS_ADDRESS": "127.0.0.10"]
        let refused = try E2E.run(["run", path], environment: env)
        #expect(refused.code == 2)
        #expect(refused.stderr.contains("LAB_DNS_ADDRESS may not be read by a spec"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--env LAB_DNS_ADDRESS"))
        let allowed = try E2E.run(["run", path, "--env", "LAB_DNS_ADDRESS"], environment: env)
        #expect(allowed.code == 0, "\(allowed.stderr)\(allowed.stdout)")
        #expect(try E2E.run(["lint", path, "--env", "LAB_DNS_ADDRESS"], environment: env).code == 0)
    }

    @Test(arguments: [["--tag", "nosuchtag"], ["--only", "nosuch*"], ["--only", "nosuch*", "--tag", "production"]])
    func aSelectionOfNothingIsAUsageError(_ filter: [String]) throws {
        let r = try E2E.run(["run", "specs/example.yaml"] + filter)
        #expect(r.code == 2, "\(r.stdout)")
        #expect(r.stderr.contains("is selected by"), "\(r.stderr)")
        #expect(r.stderr.contains(filter[1]))
        #expect(r.stdout.isEmpty)
    }

    @Test func unselectedChecksAreCountedNotListed() throws {
        let spec = try Self.passingSpec()
        let r = try E2E.run(["run", spec, "specs/example.yaml", "--only", "example.test/ns@nsd*"])
        #expect(r.code == 0, "\(r.stdout)\(r.stderr)")
        #expect(!r.stdout.contains("filtered out"), "\(r.stdout)")
        #expect(r.stdout.contains(" not selected ("), "\(r.stdout)")
    }

    @Test func theSystemResolversAreNeverUsedUnsaid() throws {
        let path = E2E.temp("system.yaml")
        try "version: 1\ndomains:\n  example.test: { ns: [ns1, ns2] }\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        for command in ["lint", "plan"] {
            let r = try E2E.run([command, path])
            #expect(r.code == 0, "\(r.stderr)")
            #expect(r.stderr.contains("note: 2 of the 2 check(s) ask the system resolvers"), "\(command): \(r.stderr)")
        }
        let named = try E2E.run(["lint", try Self.passingSpec()])
        #expect(!named.stderr.contains("system resolvers"))
        // diag says which resolvers its local lookups use before it asks them.
        let diag = try E2E.run([
            "diag", "administrator@nwtraders.test", "grotem@example.test", "-d", "127.0.0.10", "--dns-server",
            "system=127.0.0.12",
        ])
        #expect(
            diag.stdout.hasPrefix("The local domain lookups use the system resolvers: 127.0.0.12"), "\(diag.stdout)")
    }

    @Test func versionAndTLSEvidence() throws {
        let v = try E2E.run(["--version"])
        #expect(v.code == 0)
        #expect(v.stdout.hasPrefix("smtpdiag-spec "), "\(v.stdout)")
        let json = E2E.temp("tls-evidence.json")
        let r = try E2E.run([
            "run", "specs/example.yaml", "--only", "example.test/smtp@*/starttls", "-v", "--report", "json=\(json)",
        ])
        #expect(r.code == 0, "\(r.stdout)")
        let starttls = try #require(
            E2E.checks(try E2E.json(json)).first { ($0["id"] as? String)?.hasSuffix("/starttls") == true })
        let tls = try #require((starttls["evidence"] as? [String: Any])?["tls"] as? [String: String])
        #expect(tls["cipher"]?.hasPrefix("TLS_") == true, "\(tls)")
        #expect(
            tls["not_valid_after"]?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression)
                != nil, "\(tls)")
    }

    @Test func initCopiesDollarBracesAsText() throws {
        let made = try E2E.run(["init", "nwtraders.test", "-d", "127.0.0.10"])
        #expect(made.code == 0, "\(made.stderr)")
        #expect(made.stdout.contains("\"token=$${CI_SECRET_TOKEN:-none}\""), "\(made.stdout)")
        let spec = E2E.temp("init-dollar.yaml")
        try made.stdout.write(toFile: spec, atomically: true, encoding: .utf8)
        // Whatever the variable holds, the spec reads the text.
        let run = try E2E.run(["run", spec], environment: ["CI_SECRET_TOKEN": "hunter2"])
        #expect(run.code == 0, "\(run.stdout)\(run.stderr)")
        #expect(!run.stdout.contains("hunter2"))
    }
}
