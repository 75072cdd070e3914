import Foundation
import Testing

/// A network namespace of the test's own: only its loopback is up, so any other address is unreachable at
/// once (ENETUNREACH) and no packet ever leaves the machine. Needs root and iproute2, as the lab does.
struct Namespace {
    let name: String

    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
            || getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/sbin/ip")
    }

    init() throws {
        name = "smtpdiag-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        guard Self.sh(["ip", "netns", "add", name]) == 0,
            Self.sh(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"]) == 0
        else { throw CocoaError(.featureUnsupported) }
    }

    func remove() { _ = Self.sh(["ip", "netns", "delete", name]) }

    @discardableResult
    static func sh(_ args: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Runs the binary inside the namespace; kills it (and fails the test) if it has not ended by `limit`.
    func run(_ args: [String], limit: Duration = .seconds(60)) throws -> E2E.Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["ip", "netns", "exec", name, E2E.binary] + args
        p.currentDirectoryURL = E2E.repository
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(
            deadline: .now() + .seconds(Int(limit.components.seconds)), execute: killer)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        killer.cancel()
        #expect(p.terminationReason == .exit, "still running after \(limit): killed")
        return E2E.Output(
            code: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }
}

@Suite(
    "Networks that fail at once",
    .enabled(
        if: Namespace.available || ProcessInfo.processInfo.environment["CI"] == "true",
        "needs root and iproute2 for a network namespace"), .serialized)
struct NetworkFaultTests {
    static let spec = """
        version: 1
        dns_servers: { far: 192.0.2.1 }
        defaults: { dns: { servers: [far, authoritative], transports: [udp, tcp], timeout: 1s } }
        domains:
          example.test: { ns: [ns1, ns2], mx: ["10 mx1"], smtp: { expect: { banner: 220 } } }

        """

    @Test func anUnreachableNetworkEndsTheRunWithItsReports() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        let path = E2E.temp("unreachable.yaml")
        try Self.spec.write(toFile: path, atomically: true, encoding: .utf8)
        let json = E2E.temp("unreachable.json")
        let r = try ns.run(["run", path, "--deadline", "20s", "--report", "json=\(json)"])
        #expect(r.code == 3, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("network is unreachable"), "\(r.stdout)")
        #expect(!r.stdout.contains("sendmsg("), "\(r.stdout)")
        let doc = try E2E.json(json)
        #expect(doc["interrupted"] as? Bool == false)
        #expect(E2E.checks(doc).allSatisfy { ["error", "skip"].contains($0["status"] as? String) })
    }

    @Test func diagEndsToo() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        let r = try ns.run([
            "diag", "a@nwtraders.test", "b@example.test", "-d", "192.0.2.1", "--internal-dns", "192.0.2.1",
        ])
        #expect(r.code == 3, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("network is unreachable"), "\(r.stdout)")
        #expect(!r.stdout.contains("Successfully connected"), "\(r.stdout)")
    }
}
