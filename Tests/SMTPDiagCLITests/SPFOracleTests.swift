import Foundation
import SMTPDiagTestSupport
import Synchronization
import Testing

/// `smtpdiag-spec spf` against pyspf (PyPI), an independent implementation, on every SPF name of the lab's
/// spf.test zone and a set of clients, asking the same server (NSD, then Knot).
@Suite(.enabled(if: E2E.enabled, "\(TestLab.skipReason)"))
struct SPFOracleTests {
    static let names = [
        "spf", "join", "two", "spf10", "upper", "limit10", "limit11", "branches", "afterall", "afterallbad", "redirect",
        "redirectall", "redirectnone", "includenone", "void", "mximplicit", "mxmany", "dualcidr", "ptr", "soft",
        "permissive", "macro", "target", "shared", "inc-a", "nospf", "absent",
    ]
    static let clients = [
        "192.0.2.10", "192.0.2.21", "192.0.2.25", "192.0.2.31", "192.0.2.40", "192.0.2.50", "192.0.2.60",
        "192.0.2.70", "198.51.100.3", "2001:db8::25", "2001:db8:50::ff", "::ffff:192.0.2.10",
    ]

    struct Case: Hashable {
        let ip: String
        let name: String
        var sender: String { "strong-bad@\(name).spf.test" }
        var helo: String { "\(name).spf.test" }
    }

    static var cases: [Case] { names.flatMap { n in clients.map { Case(ip: $0, name: n) } } }

    /// Where the RFC and pyspf disagree, and why; nil when the results must be equal.
    static func explained(_ c: Case, ours: String, theirs: String) -> String? {
        // RFC 7208 5.5: "If a DNS error occurs while doing the PTR RR lookup, then this mechanism fails to
        // match." The lab serves no reverse zone for 198.51.100.0/24 or IPv6 (REFUSED): pyspf says temperror.
        if ["ptr", "permissive"].contains(c.name), theirs == "temperror", ours != "temperror",
            !c.ip.hasPrefix("192.0.2.") && !c.ip.hasPrefix("::ffff:192.0.2.")
        {
            return "a DNS error on the PTR lookup is no match (RFC 7208 5.5)"
        }
        return nil
    }

    static func ours(_ c: Case, server: String) throws -> String {
        let out = try E2E.run(["spf", c.ip, c.sender, "--helo", c.helo, "-d", server, "--format", "json"])
        #expect(out.code == 0, "\(c): exit \(out.code) \(out.stderr)")
        let doc = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        return doc?["result"] as? String ?? "unreadable: \(out.stdout)"
    }

    /// pyspf's result for each `IP SENDER HELO` line.
    static func theirs(_ lines: [String], server: String) throws -> [String] {
        let input = lines.joined(separator: "\n") + "\n"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", TestRepository.path("scripts/pyspf-oracle"), server]
        let stdin = Pipe()
        let stdout = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        try p.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "pyspf oracle exited \(p.terminationStatus) (python-env spf=pyspf?)")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            String($0.split(separator: "\t", maxSplits: 1).first ?? "")
        }
    }

    @Test(arguments: ["127.0.0.10", "127.0.0.12"])
    func agreesWithPyspf(_ server: String) throws {
        let cases = Self.cases
        let theirs = try Self.theirs(cases.map { "\($0.ip) \($0.sender) \($0.helo)" }, server: server)
        try #require(theirs.count == cases.count, "pyspf gave \(theirs.count) results for \(cases.count) cases")
        // Our binary once per case, four at a time.
        let results = Mutex<[Int: String]>([:])
        DispatchQueue.concurrentPerform(iterations: cases.count) { i in
            let r = (try? Self.ours(cases[i], server: server)) ?? "did not run"
            results.withLock { $0[i] = r }
        }
        var agreed = 0
        var explainedCount = 0
        var seen = Set<String>()
        for (i, c) in cases.enumerated() {
            let ours = results.withLock { $0[i] } ?? "missing"
            seen.insert(ours)
            if ours == theirs[i] {
                agreed += 1
            } else if Self.explained(c, ours: ours, theirs: theirs[i]) != nil {
                explainedCount += 1
            } else {
                Issue.record("\(c.ip) \(c.sender) at \(server): ours \(ours), pyspf \(theirs[i])")
            }
        }
        // The cases reach every result but temperror (which pyspf and we agree on in SPFCommandTests).
        #expect(seen.isSuperset(of: ["pass", "fail", "softfail", "neutral", "none", "permerror"]), "\(seen)")
        #expect(agreed > cases.count * 9 / 10, "\(agreed) of \(cases.count) agree, \(explainedCount) explained")
    }
}

/// The `spf` command's outputs and exit codes.
@Suite(.enabled(if: E2E.enabled, "\(TestLab.skipReason)"))
struct SPFCommandTests {
    @Test func humanOutputAndTrace() throws {
        let out = try E2E.run(["spf", "192.0.2.99", "strong-bad@macro.spf.test", "-d", "127.0.0.10"])
        #expect(out.code == 0)
        #expect(out.stdout.contains("result: fail"))
        #expect(out.stdout.contains("explanation: 192.0.2.99 is not one of macro.spf.test's senders (strong-bad)"))
        #expect(out.stdout.contains("lookups: 1 (limit 10)"))
        #expect(out.stdout.contains("void lookups: 1 (limit 2)"))
        #expect(out.stdout.contains("  macro.spf.test: v=spf1 exists:%{ir}.%{l1r-}.lp._spf.%{d} -all exp=why.%{d}"))
    }

    @Test func jsonOutput() throws {
        let out = try E2E.run(["spf", "192.0.2.1", "a@limit11.spf.test", "-d", "127.0.0.12", "--format", "json"])
        #expect(out.code == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(Set(doc.keys) == ["result", "reason", "explanation", "lookups", "void_lookups", "trace"])
        #expect(doc["result"] as? String == "permerror")
        #expect(doc["lookups"] as? Int == 11)
        #expect((doc["trace"] as? [String])?.isEmpty == false)
    }

    /// A null sender is postmaster@HELO (RFC 7208 2.4).
    @Test func nullSender() throws {
        let out = try E2E.run(["spf", "192.0.2.10", "", "--helo", "join.spf.test", "-d", "127.0.0.10"])
        #expect(out.code == 0 && out.stdout.hasPrefix("result: pass"), "\(out.stdout)\(out.stderr)")
    }

    /// A server that cannot answer for the name (REFUSED) is temperror, never fail; pyspf agrees.
    @Test func temperror() throws {
        let out = try E2E.run(["spf", "192.0.2.10", "a@example.invalid", "-d", "127.0.0.10"])
        #expect(out.code == 0 && out.stdout.hasPrefix("result: temperror"), "\(out.stdout)")
        let theirs = try SPFOracleTests.theirs(["192.0.2.10 a@example.invalid example.invalid"], server: "127.0.0.10")
        #expect(theirs == ["temperror"])
    }

    @Test(arguments: [
        ["spf", "not-an-ip", "a@b.test", "-d", "127.0.0.10"], ["spf", "192.0.2.1", "a@b.test"],
        ["spf", "192.0.2.1", "", "-d", "127.0.0.10"], ["spf", "192.0.2.1", "a b@c.test", "-d", "127.0.0.10"],
        ["spf", "192.0.2.1", "a@b.test", "-d", "127.0.0.10", "--format", "xml"],
    ])
    func usageErrors(_ args: [String]) throws {
        let out = try E2E.run(args)
        #expect(out.code == 2, "\(args): \(out.code) \(out.stderr)")
    }
}

/// The reference's SPF example runs against the lab and prints what the reference says it prints.
@Suite(.enabled(if: E2E.enabled, "\(TestLab.skipReason)"))
struct SPFReferenceTests {
    @Test func theReferenceExampleFailsAsShown() throws {
        let blocks = DocsTests.blocks(try DocsTests.read("docs/spec-format.md")).filter {
            $0.heading == "### `domains.NAME.spf`"
        }
        let spec = try #require(blocks.first { $0.language == "yaml" })
        let shown = try #require(blocks.first { $0.language == "text" })
        let file = E2E.temp("spf-reference.yaml")
        try spec.body.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try E2E.run(["run", file])
        #expect(r.code == 1)
        #expect(r.stdout.contains(shown.body), "\(r.stdout)")
    }
}

/// `run --psl`: the list the organizational domains come from.
@Suite(.enabled(if: E2E.enabled, "\(TestLab.skipReason)"))
struct PublicSuffixListCLITests {
    static let spec = """
        version: 1
        dns_servers: { nsd: 127.0.0.10 }
        defaults: { dns: { servers: [nsd], transports: [udp] } }
        domains:
          sub.mailauth.test: { dmarc: { discovery: rfc7489, policy: quarantine } }
        """

    @Test func theListDecidesTheOrganizationalDomain() throws {
        let spec = E2E.temp("psl.yaml")
        try Self.spec.write(toFile: spec, atomically: true, encoding: .utf8)
        // Debian's list (or none installed): .test is covered by no rule, so mailauth.test is the
        // organizational domain and its sp applies.
        let plain = try E2E.run(["run", spec])
        #expect(plain.code == 0, "\(plain.stdout)")
        // A list that makes mailauth.test a public suffix: sub.mailauth.test is its own organizational domain.
        let list = E2E.temp("psl.dat")
        try "// the lab\nmailauth.test\n".write(toFile: list, atomically: true, encoding: .utf8)
        let own = try E2E.run(["run", spec, "--psl", list])
        #expect(own.code == 1)
        #expect(
            own.stdout.contains("no DMARC record at _dmarc.sub.mailauth.test. or above it (rfc7489)"), "\(own.stdout)")
        let missing = try E2E.run(["run", spec, "--psl", E2E.temp("no-such-list.dat")])
        #expect(missing.code == 2 && missing.stderr.contains("--psl: cannot read"))
        let empty = E2E.temp("empty.dat")
        try "// nothing\n".write(toFile: empty, atomically: true, encoding: .utf8)
        #expect(try E2E.run(["run", spec, "--psl", empty]).code == 2)
    }
}

/// The mail-authentication families through every reporter: independent consumers read what a run of passing,
/// failing and erroring SPF, DMARC, DKIM and TLS-RPT checks wrote, and a failure carries its evidence.
@Suite(.enabled(if: E2E.enabled, "\(TestLab.skipReason)"))
struct MailAuthReportTests {
    @Test func everyReporterCarriesTheNewChecks() throws {
        let spec = E2E.temp("mailauth-reports.yaml")
        try """
        version: 1
        dns_servers: { nsd: 127.0.0.10 }
        defaults: { dns: { servers: [nsd], transports: [udp] } }
        domains:
          limit11.spf.test: { spf: { valid: true } }
          elsewhere.spf.test: { spf: { allows: [192.0.2.1] } }
          mailauth.test:
            dmarc: { rua_authorized: true }
            dkim: { selectors: { weak: { valid: true } } }
            tls_rpt: { valid: true }
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let (junit, tap, json, github) = (E2E.temp("m.xml"), E2E.temp("m.tap"), E2E.temp("m.json"), E2E.temp("m.gh"))
        let r = try E2E.run([
            "run", spec, "--report", "junit=\(junit)", "--report", "tap=\(tap)", "--report", "json=\(json)",
            "--report", "github=\(github)",
        ])
        #expect(r.code == 1)
        let (status, output) = try TestLab.run([
            "python3", TestRepository.path("scripts/read-reports"), "--junit", junit, "--tap", tap, "--json", json,
        ])
        try #require(status == 0, "scripts/read-reports failed: scripts/test installs its Python packages")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]])
        let doc = try E2E.json(json)
        let summary = try #require(doc["summary"] as? [String: Int])
        // limit11.spf.test: eleven lookups, and eleven void lookups for an IPv6 client (no h1...h11 has AAAA).
        #expect(summary["pass"] == 3 && summary["fail"] == 3 && summary["error"] == 3, "\(summary)")
        #expect(seen["json"]?["valid"] as? Bool == true)
        #expect(seen["junit"]?["failures"] as? Int == 3 && seen["junit"]?["errors"] as? Int == 3)
        #expect(seen["tap"]?["not_ok"] as? Int == 6)
        // The failing lookup count names the term over the limit, and its evidence is the walk's DNS answers.
        let lookups = try #require(E2E.checks(doc).first { ($0["id"] as? String)?.contains("spf.lookups") == true })
        #expect(
            (lookups["message"] as? String)?.contains("a:h11.spf.test at limit11.spf.test is DNS-querying term 11")
                == true)
        let evidence = lookups["evidence"] as? [String: Any]
        #expect((evidence?["dns"] as? [String])?.isEmpty == false, "\(lookups)")
        let gh = try String(contentsOfFile: github, encoding: .utf8)
        #expect(gh.contains("::error") && gh.contains("dkim[weak]"), "\(gh)")
        #expect(r.stdout.contains("FAIL  mailauth.test/dkim[weak]@nsd[127.0.0.10]/udp  an RSA key of 512 bits"))
    }
}
