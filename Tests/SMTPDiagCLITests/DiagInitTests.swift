import Foundation
import Testing

/// `diag` and `init` through the binary against the lab. Every lookup names a lab server (-d,
/// --internal-dns): the system resolvers are never asked.
@Suite(
    "diag and init, end to end against the lab",
    .enabled(if: E2E.enabled, "the lab is not running: start it with scripts/lab up"), .serialized)
struct DiagInitTests {
    static let lab = ["-d", "127.0.0.10", "--internal-dns", "127.0.0.12"]

    @Test func healthyRoutePasses() throws {
        let r = try E2E.run(["diag", "administrator@nwtraders.test", "grotem@example.test"] + Self.lab)
        #expect(r.code == 0, "\(r.stdout)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "Checking SOA for example.test.")
        #expect(lines.contains("SOA serial number match: Passed."))
        #expect(lines.contains("Checking local domain records."))
        #expect(lines.contains("Both TCP and UDP queries succeeded. Local DNS test passed."))
        #expect(lines.contains("Both TCP and UDP queries succeeded. Remote DNS test passed."))
        #expect(lines.contains("Checking MX servers listed for grotem@example.test."))
        #expect(lines.contains("Connecting to mx1.example.test [127.0.0.11] on port 25."))
        #expect(lines.contains("Successfully connected to mx1.example.test."))
        #expect(lines.contains("Connecting to mx2.example.test [127.0.0.13] on port 25."))
        #expect(!r.stdout.contains("Sent:"))
    }

    @Test func verboseShowsTheDialogueAndSlashVWorks() throws {
        let r = try E2E.run(["diag", "administrator@nwtraders.test", "grotem@example.test", "/v"] + Self.lab)
        #expect(r.code == 0)
        #expect(r.stdout.contains("Sent: EHLO "))
        #expect(r.stdout.contains("Sent: MAIL FROM:<administrator@nwtraders.test>"))
        #expect(r.stdout.contains("Sent: RCPT TO:<grotem@example.test>"))
        #expect(r.stdout.contains("Received: 250 2.1.5 Ok"))
        #expect(!r.stdout.contains("DATA"))
        let help = try E2E.run(["diag", "/?"])
        #expect(help.code == 0)
        #expect(help.stdout.contains("USAGE: smtpdiag-spec diag"))
    }

    @Test func serialMismatchBetweenTwoServersFails() throws {
        let r = try E2E.run([
            "diag", "administrator@nwtraders.test", "postmaster@drift.test", "-d", "127.0.0.10", "-d", "127.0.0.12",
            "--internal-dns", "127.0.0.10",
        ])
        #expect(r.code == 1, "\(r.stdout)")
        #expect(r.stdout.contains("SOA serial number match: Failed (2024010100 vs 2024010105, drift 5)."))
        #expect(r.stdout.contains("Successfully connected to mx1.example.test."))
    }

    @Test func refusedRecipientFails() throws {
        let json = E2E.temp("diag-550.json")
        let r = try E2E.run(
            ["diag", "administrator@nwtraders.test", "nobody@example.test", "--report", "json=\(json)"] + Self.lab)
        #expect(r.code == 1)
        #expect(
            r.stdout.contains("Failed to submit mail to mx1.example.test (rcpt[nobody@example.test]): got 550 5.1.1"))
        let failed = E2E.checks(try E2E.json(json)).filter { ($0["status"] as? String) == "fail" }
        #expect(
            !failed.isEmpty
                && failed.allSatisfy { ($0["id"] as? String)?.hasSuffix("/rcpt[nobody@example.test]") == true })
    }

    @Test func localDomainFailureIsAdvisory() throws {
        // The sender's domain has no address for its MX: reported with the three reasons, but the route holds.
        let r = try E2E.run(["diag", "someone@noaddr.test", "grotem@example.test"] + Self.lab)
        #expect(r.code == 0, "\(r.stdout)")
        #expect(r.stdout.contains("Local DNS test failed. This test can fail for three reasons:"))
        #expect(r.stdout.contains("This does not by itself fail the route."))
    }

    @Test func outputSnapshot() throws {
        let r = try E2E.run([
            "diag", "administrator@nwtraders.test", "postmaster@drift.test", "-d", "127.0.0.10", "-d", "127.0.0.12",
            "--internal-dns", "127.0.0.10",
        ])
        let path = E2E.repository.appendingPathComponent("Tests/SMTPDiagCLITests/Snapshots/diag.txt")
        if ProcessInfo.processInfo.environment["UPDATE_SNAPSHOTS"] == "1" {
            try r.stdout.write(to: path, atomically: true, encoding: .utf8)
        }
        #expect(r.stdout == (try String(contentsOf: path, encoding: .utf8)))
    }

    static let domains = [
        "example.test", "drift.test", "bigtxt.test", "nullmx.test", "noaddr.test", "cnamemx.test", "nwtraders.test",
    ]

    @Test(arguments: domains)
    func initThenRunPasses(_ domain: String) throws {
        let server = domain == "drift.test" ? "127.0.0.12" : "127.0.0.10"
        let spec = E2E.temp("init-\(domain).yaml")
        var args = ["init", domain, "-d", server, "-o", spec]
        if domain == "example.test" || domain == "nwtraders.test" {
            args += [
                "--smtp", "--tls-ca-file", E2E.repository.appendingPathComponent("lab/run/tls/ca.pem").path, "--helo",
                "init.example.net",
            ]
        }
        let made = try E2E.run(args)
        #expect(made.code == 0, "\(made.stderr)")
        let text = try String(contentsOfFile: spec, encoding: .utf8)
        #expect(try E2E.run(["lint", spec]).code == 0)
        let run = try E2E.run(["run", spec])
        #expect(run.code == 0, "\(text)\n\(run.stdout)")
        // Paths relative to where the spec is, that lead to the real files: the schema of this repository, the CA.
        let folder = URL(fileURLWithPath: spec).deletingLastPathComponent()
        func resolves(_ prefix: String) -> Bool {
            guard let line = text.split(separator: "\n").first(where: { $0.contains(prefix) }) else { return false }
            let path =
                line.components(separatedBy: prefix)[1].split(separator: " ").first.map {
                    String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                } ?? ""
            return !path.hasPrefix("/")
                && FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path)
        }
        #expect(text.hasPrefix("# yaml-language-server: $schema="), "\(text)")
        #expect(resolves("$schema="), "\(text)")
        if domain == "example.test" {
            #expect(text.contains("mx: [\"10 mx1.example.test.\", \"20 mx2.example.test.\"]"))
            #expect(text.contains("type: TLSA"))
            #expect(text.contains("starttls: 220"))
            #expect(text.contains("postmaster: 250"))
            // What init greeted with is what the run greets with; the CA is found from the spec's folder.
            #expect(text.contains("helo: \"init.example.net\""))
            #expect(resolves("tls_ca_file: "), "\(text)")
        }
        if domain == "bigtxt.test" { #expect(text.contains("transports: [tcp]")) }
        if domain == "noaddr.test" { #expect(text.contains("mx_resolves: false")) }
    }

    @Test func initPinsOnlyWhatItSaw() throws {
        // Verified against CAs that did not sign the lab's certificate: every handshake fails, so the spec must
        // not expect a working STARTTLS (it did, and failed at once).
        let spec = E2E.temp("init-badca.yaml")
        let otherCA = E2E.temp("other-ca.pem")
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=another CA", "-keyout", E2E.temp("other-ca.key"), "-out", otherCA,
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        let made = try E2E.run([
            "init", "example.test", "-d", "127.0.0.10", "-o", spec, "--smtp", "--tls-ca-file", otherCA, "--helo",
            "init.example.net",
        ])
        #expect(made.code == 0, "\(made.stderr)")
        let text = try String(contentsOfFile: spec, encoding: .utf8)
        #expect(text.contains("starttls: off"), "\(text)")
        #expect(!text.contains("starttls: 220"), "\(text)")
        let run = try E2E.run(["run", spec])
        #expect(run.code == 0, "\(text)\n\(run.stdout)")
    }
}
