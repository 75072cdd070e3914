import Foundation
import Testing

/// `lab/lossy.py` between the run and the lab's NSD: it loses exactly the packets a test names, so these never
/// flake. A lost packet may make a check an error; it must never make one fail, or vanish.
struct LossyForwarder {
    let process: Process

    init(listen: String, _ rules: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "python3", E2E.repository.appendingPathComponent("lab/lossy.py").path, "--listen", listen, "--upstream",
                "127.0.0.10:53",
            ] + rules
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready once its TCP port accepts.
        let parts = listen.split(separator: ":")
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(parts[1]) ?? 53).bigEndian
            address.sin_addr.s_addr = inet_addr(String(parts[0]))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            close(fd)
            if connected == 0 { return }
            usleep(50_000)
        }
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite(
    "Lossy links: a forwarder that drops what the test says",
    .enabled(if: E2E.enabled, "the lab is not running: start it with scripts/lab up"), .serialized)
struct LossyLinkTests {
    @Test func aLostAddressQueryIsAnErrorForThatMXAndItsSessionsNeverAFailure() throws {
        // Every UDP query for mx2's A is lost (AAAA answers NODATA): mx_resolves and mx2's SMTP checks are errors,
        // mx1 is checked as usual, and every planned check is in the report.
        let lossy = try LossyForwarder(listen: "127.0.0.31:53", ["--drop-query", "mx2.example.test. A"])
        defer { lossy.stop() }
        let path = E2E.temp("lossy-a.yaml")
        try """
        version: 1
        dns_servers: { lossy: 127.0.0.31 }
        defaults:
          dns: { servers: [lossy], transports: [udp], timeout: 300ms, retries: 1 }
          smtp: { tls_ca_file: \(E2E.repository.appendingPathComponent("lab/run/tls/ca.pem").path) }
        domains:
          example.test:
            mx: ["10 mx1", "20 mx2"]
            smtp: { expect: { banner: 220, ehlo: 250 } }

        """.write(toFile: path, atomically: true, encoding: .utf8)
        let json = E2E.temp("lossy-a.json")
        let r = try E2E.run(["run", path, "--report", "json=\(json)"])
        #expect(r.code == 3, "\(r.stdout)")
        let checks = E2E.checks(try E2E.json(json))
        let status = Dictionary(checks.map { ($0["id"] as? String ?? "", $0["status"] as? String ?? "") }) { a, _ in a }
        #expect(!status.values.contains("fail"), "\(status)")
        #expect(status["example.test/mx@lossy[127.0.0.31]/udp"] == "pass")
        #expect(status["example.test/mx_resolves@lossy[127.0.0.31]/udp"] == "error")
        #expect(status["example.test/smtp@mx1.example.test[127.0.0.11]:25/banner"] == "pass")
        for step in ["banner", "ehlo", "quit"] {
            #expect(status["example.test/smtp@mx2.example.test:25/\(step)"] == "error", "\(step): \(status)")
        }
        let mx2 = checks.first { $0["id"] as? String == "example.test/smtp@mx2.example.test:25/banner" }
        #expect((mx2?["message"] as? String)?.contains("could not be learned: A: timeout") == true, "\(mx2 ?? [:])")
    }

    @Test func aStalledTCPConnectionIsRecoveredByRetries() throws {
        // The first TCP connection never answers: its queries time out and are tried again on a new one.
        let lossy = try LossyForwarder(listen: "127.0.0.32:53", ["--stall-connections", "1"])
        defer { lossy.stop() }
        let path = E2E.temp("lossy-tcp.yaml")
        try """
        version: 1
        dns_servers: { lossy: 127.0.0.32 }
        defaults: { dns: { servers: [lossy], transports: [tcp], timeout: 500ms, retries: 2 } }
        domains:
          example.test:
            soa: { mname: ns1, serial: { min: 1 } }
            ns: [ns1, ns2]
            mx: ["10 mx1", "20 mx2"]
            records:
              - { name: "@", type: TXT, contains: ["v=spf1 mx -all"] }
              - { name: _dmarc, type: TXT, count: 1 }

        """.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try E2E.run(["run", path])
        #expect(r.code == 0, "\(r.stdout)")
        #expect(r.stdout.contains(" 0 fail, 0 error"), "\(r.stdout)")
    }
}
