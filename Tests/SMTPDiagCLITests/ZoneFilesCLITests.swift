import Foundation
import SMTPDiagTestSupport
import Testing

/// Zone files as a DNS server, from the command line: `query --zones`, `run --zones NAME=DIR` and
/// `dns_servers: {NAME: {zones: DIR}}`; the lab's own zone files (`lab/run/zones-nsd`) stand for the servers.
@Suite(.enabled(if: E2E.enabled, "\(TestLab.skipReason)"))
struct ZoneFilesCLITests {
    @Test func queryAnswersAsNSDPrints() throws {
        let ours = try E2E.run(["query", "www.example.test", "A", "--zones", "lab/run/zones-nsd"])
        #expect(ours.code == 0, "\(ours.stderr)")
        let server = try E2E.run(["query", "www.example.test", "A", "-s", "127.0.0.10"])
        // Everything but the id, the time and the server line is the same.
        func body(_ s: String) -> [String] {
            s.split(separator: "\n").map(String.init).filter {
                !$0.hasPrefix(";; ->>HEADER") && !$0.hasPrefix(";; Query time") && !$0.hasPrefix(";; SERVER")
            }
        }
        #expect(body(ours.stdout) == body(server.stdout), "\(ours.stdout)\n\(server.stdout)")
        #expect(ours.stdout.contains(";; SERVER: zone files lab/run/zones-nsd (UDP)"))
        let refused = try E2E.run(["query", "nothing.invalid", "--zones", "lab/run/zones-nsd"])
        #expect(refused.stdout.contains("status: REFUSED"))
        #expect(try E2E.run(["query", "x.test", "--zones", "lab/run/zones-nsd", "-s", "127.0.0.10"]).code == 2)
    }

    @Test func aSpecNamesZoneFilesAndRunOverridesAServer() throws {
        let dir = URL(fileURLWithPath: E2E.temp("zonefiles"))
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let zones = TestRepository.path("lab/run/zones-nsd")
        try """
        version: 1
        dns_servers:
          pr: { zones: \(zones) }
        domains:
          example.test:
            dns: { servers: [pr, authoritative], transports: [udp, tcp] }
            mx: ["10 mx1", "20 mx2"]
            spf: { valid: true, allows: [127.0.0.11] }
          wild.test:
            dns: { servers: [pr] }
            records:
              - { name: anything.sub, type: A, equals: [192.0.2.81] }
              - { name: host.sub, type: A, absent: true }
              - { name: many, type: A, count: 40 }
        """.write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let lint = try E2E.run(["lint", dir.appendingPathComponent("spec.yaml").path])
        #expect(lint.code == 0 && lint.stdout.contains("zone(s) from zone files"), "\(lint.stdout)\(lint.stderr)")
        let json = E2E.temp("zonefiles.json")
        let r = try E2E.run(["run", dir.appendingPathComponent("spec.yaml").path, "--report", "json=\(json)"])
        #expect(r.code == 0, "\(r.stdout)\(r.stderr)")
        let ids = Set(E2E.checks(try E2E.json(json)).compactMap { $0["id"] as? String })
        #expect(ids.contains("example.test/mx@pr[zones]/udp"))
        #expect(ids.contains("example.test/mx@ns2.example.test[zones]/tcp"))
        #expect(ids.contains("wild.test/records[many A]@pr[zones]/udp"))
        // The spec's own servers replaced by zone files for one run, and a broken file: exit 2, located.
        let override = try E2E.run(["run", "specs/example.yaml", "--skip", "smtp", "--zones", "internal=\(zones)"])
        #expect(override.code == 0, "\(override.stdout)")
        #expect(override.stdout.contains("PASS  example.test/mx@internal[zones]/udp"))
        try "$ORIGIN example.test.\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 127.0.0.300\n".write(
            to: dir.appendingPathComponent("example.test.zone"), atomically: true, encoding: .utf8)
        let broken = try E2E.run(["run", "specs/example.yaml", "--zones", "internal=\(dir.path)"])
        #expect(broken.code == 2)
        #expect(broken.stderr.contains("example.test.zone:4:7: error: A data:"), "\(broken.stderr)")
        #expect(try E2E.run(["run", "specs/example.yaml", "--zones", "nosuch=\(zones)"]).code == 2)
        // lint reads the zone files a spec names: the same located error.
        try
            "version: 1\ndns_servers: { pr: { zones: . } }\ndomains: { x.test: { dns: { servers: [pr] }, ns: [ns1] } }\n"
            .write(
                to: dir.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        let lintBroken = try E2E.run(["lint", dir.appendingPathComponent("broken.yaml").path])
        #expect(
            lintBroken.code == 2 && lintBroken.stderr.contains("example.test.zone:4:7: error:"), "\(lintBroken.stderr)")
    }
}
