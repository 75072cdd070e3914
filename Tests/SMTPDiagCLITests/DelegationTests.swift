import Foundation
import SMTPDiagTestSupport
import Testing

/// A referral is its own kind of answer (RFC 1034 §4.3.2): asked at the parent, a name at or below a zone cut
/// comes back without AA, the NS set in the authority section. Against three servers nobody here wrote.
@Suite(
    "Delegations: referrals from NSD, Knot and BIND",
    .enabled(if: E2E.enabled, "the lab is not running: start it with scripts/lab up"), .serialized)
struct DelegationTests {
    static let spec = """
        version: 1
        dns_servers: { nsd: 127.0.0.10, knot: 127.0.0.12, bind: "127.0.0.1:5300" }
        defaults: { dns: { servers: [nsd, knot, bind], transports: [udp, tcp] } }
        domains:
          example.test:
            records:
              - { name: sub, type: NS, equals: [ns1.example.test.] }
              - { name: sub, type: NS, count: 1 }
              - { name: sub, type: NS, absent: true }
              - { name: sub, type: A, absent: true }
              - { name: host.sub, type: A, absent: true }
              - { name: host.sub, type: MX, count: 0 }
              - { name: sub, type: DS, count: 1 }

        """

    @Test func referralsAreReadAsDelegationsNeverAsNoRecords() throws {
        let path = E2E.temp("delegation.yaml")
        try Self.spec.write(toFile: path, atomically: true, encoding: .utf8)
        let json = E2E.temp("delegation.json")
        let r = try E2E.run(["run", path, "--format", "json", "--report", "json=\(json)"])
        #expect(r.code == 1, "\(r.stderr)")
        let checks = E2E.checks(try E2E.json(json))
        func statuses(_ fragment: String) -> [String: String] {
            var out: [String: String] = [:]
            for c in checks {
                guard let id = c["id"] as? String, id.contains(fragment) else { continue }
                out[id] = c["status"] as? String
            }
            return out
        }
        func expect(_ fragment: String, _ status: String, message: String? = nil) {
            let found = statuses(fragment)
            #expect(found.count == 6, "\(fragment): \(found)")  // three servers, two transports
            for (id, s) in found { #expect(s == status, "\(id): \(s)") }
            if let message {
                for c in checks where (c["id"] as? String)?.contains(fragment) == true {
                    #expect((c["message"] as? String)?.contains(message) == true, "\(c["message"] ?? "")")
                }
            }
        }
        expect("records[sub NS]", "pass")
        expect("records[sub NS #2]", "pass")
        expect("records[sub NS #3]", "fail")
        expect("records[sub A]", "error", message: "delegates sub.example.test. to ns1.example.test.")
        expect("records[host.sub A]", "error", message: "a referral, not an answer")
        expect("records[host.sub MX]", "error", message: "a referral, not an answer")
        expect("records[sub DS]", "pass")
        // The evidence says which section the NS set came from.
        let referral = try #require(checks.first { ($0["id"] as? String)?.contains("records[sub A]@nsd") == true })
        let dns = ((referral["evidence"] as? [String: Any])?["dns"] as? [String]) ?? []
        #expect(
            dns.contains { $0.contains("-> NOERROR") && $0.contains(": authority: sub.example.test. 3600 IN NS") },
            "\(dns)")
    }
}

/// The lab itself: every process checked by `status`, and none tied to the terminal that started it.
@Suite("The lab", .enabled(if: E2E.enabled, "the lab is not running: start it with scripts/lab up"))
struct LabTests {
    static func output(_ args: [String]) throws -> (Int32, String) { try TestLab.run(args) }

    @Test func postfixFilesGoWhereItsUserCanReachThem() throws {
        // A checkout only root can enter (as under /root, or a `mktemp -d` folder): Postfix's own user could not
        // reach its queue there, so it goes to a folder of its own under /var/tmp. Where it can, it stays.
        guard getuid() == 0 else { return }
        let closed = URL(fileURLWithPath: E2E.temp("root-only"))
        try FileManager.default.createDirectory(at: closed, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: closed) }
        chmod(closed.path, 0o700)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: E2E.repository.appendingPathComponent("scripts/lab").path)
        p.arguments = ["postfix-home"]
        p.environment = ProcessInfo.processInfo.environment.merging(
            ["SMTPDIAG_LAB_RUN": closed.appendingPathComponent("run").path]) { _, b in b }
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let home = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(home.hasPrefix("/var/tmp/smtpdiag-lab-"), "\(home)")
        let (_, here) = try Self.output(["scripts/lab", "postfix-home"])
        #expect(here.hasPrefix(E2E.repository.path), "\(here)")
    }

    @Test func statusChecksEveryServerAndEachRunsInItsOwnSession() throws {
        let (code, text) = try Self.output(["scripts/lab", "status"])
        #expect(code == 0, "\(text)")
        for name in ["nsd", "knot", "bind", "postfix", "tarpit"] { #expect(text.contains("\(name): up"), "\(text)") }
        for name in ["nsd", "knot", "bind", "tarpit"] {
            let pid = try String(
                contentsOfFile: E2E.repository.appendingPathComponent("lab/run/\(name).pid").path, encoding: .utf8
            ).trimmingCharacters(in: .whitespacesAndNewlines)
            let (_, sid) = try Self.output(["ps", "-o", "sid=", "-p", pid])
            #expect(sid.trimmingCharacters(in: .whitespaces.union(.newlines)) == pid, "\(name) is not detached")
        }
    }
}
