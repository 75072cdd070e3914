import Foundation
import Testing

/// The README's recipes, run as a reader would run them: its own text, not a copy that could drift.
enum Readme {
    static let text =
        (try? String(contentsOf: E2E.repository.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    /// The fenced blocks (language, body) after `heading`, up to the next heading of the same or a higher level.
    static func blocks(after heading: String) -> [(String, String)] {
        guard let start = text.range(of: heading) else { return [] }
        var out: [(String, String)] = []
        var language: String? = nil
        var body: [Substring] = []
        for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
            if language == nil && line.hasPrefix("#") { break }
            if line.hasPrefix("```") {
                if let l = language {
                    out.append((l, body.joined(separator: "\n") + "\n"))
                    language = nil
                    body = []
                } else {
                    language = String(line.dropFirst(3))
                }
            } else if language != nil {
                body.append(line)
            }
        }
        return out
    }
}

@Suite(
    "README recipes", .enabled(if: E2E.enabled, "the lab is not running: start it with scripts/lab up"), .serialized)
struct ReadmeRecipeTests {
    @Test func gatingADNSChangeBeforeItIsLive() throws {
        let blocks = Readme.blocks(after: "### Gating a DNS change before it is live")
        let spec = try #require(blocks.first { $0.0 == "yaml" }?.1)
        let job = try #require(blocks.first { $0.0 == "sh" }?.1)
        let dir = URL(fileURLWithPath: E2E.temp("gating"))
        try? FileManager.default.removeItem(at: dir)
        for sub in ["specs", "zones"] {
            try FileManager.default.createDirectory(
                at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        try spec.write(to: dir.appendingPathComponent("specs/staging.yaml"), atomically: true, encoding: .utf8)
        func zone(_ mx: String) throws {
            try """
            $ORIGIN example.com.
            $TTL 300
            @    SOA  ns1 hostmaster 1 7200 3600 1209600 300
            @    NS   ns1
            ns1  A    127.0.0.53
            \(mx)
            mx1  A    192.0.2.10
            mx2  A    192.0.2.20

            """.write(to: dir.appendingPathComponent("zones/example.com.zone"), atomically: true, encoding: .utf8)
        }
        func runJob() throws -> (Int32, String) {
            try job.write(to: dir.appendingPathComponent("job.sh"), atomically: true, encoding: .utf8)
            let p = Process()
            // With the signal mask of a shell: the test runner's threads block SIGTERM, a child inherits the mask,
            // and the job's `kill` could not stop its NSD.
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [
                "python3", "-c",
                "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp('bash', ['bash', 'job.sh'])",
            ]
            p.currentDirectoryURL = dir
            var env = ProcessInfo.processInfo.environment
            env["PATH"] = URL(fileURLWithPath: E2E.binary).deletingLastPathComponent().path + ":" + (env["PATH"] ?? "")
            env["NO_COLOR"] = "1"
            p.environment = env
            // Output to a file, not a pipe: the NSD the job starts would hold a pipe open after the job ends.
            let log = dir.appendingPathComponent("job.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            p.standardOutput = handle
            p.standardError = handle
            try p.run()
            p.waitUntilExit()
            try handle.close()
            return (p.terminationStatus, try String(contentsOf: log, encoding: .utf8))
        }
        // The zone as the spec expects it: the job passes, and NSD is gone after it.
        try zone("@    MX   10 mx1\n@    MX   20 mx2")
        let (good, goodOutput) = try runJob()
        #expect(good == 0, "\(goodOutput)")
        #expect(goodOutput.contains("0 fail, 0 error"), "\(goodOutput)")
        // NSD removes its pid file when it stops: the job left nothing running.
        var stopped = false
        for _ in 0..<50 where !stopped {
            stopped = !FileManager.default.fileExists(atPath: dir.appendingPathComponent("nsd-run/nsd.pid").path)
            if !stopped { usleep(100_000) }
        }
        #expect(stopped, "NSD still runs after the job")
        // A change that drops an MX: the job fails.
        try zone("@    MX   10 mx1")
        let (bad, badOutput) = try runJob()
        #expect(bad == 1, "\(badOutput)")
        #expect(badOutput.contains("FAIL  example.com/mx@staging"), "\(badOutput)")
    }
}
