import Foundation

/// The checkout the tests run from, found from this file's own path.
public enum TestRepository {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// The `*.yaml` files of a folder, by name.
    public static func yamlFiles(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".yaml") }
            .sorted()
    }
}

/// The loopback lab of `scripts/lab`, detected one way for every test target: `scripts/lab status`, which
/// asks every server. Integration tests skip with `skipReason` when it is down, except under CI=true, where
/// they run and fail: there a missing lab is an error, not a pass.
public enum TestLab {
    public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    public static let isUp: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestRepository.path("scripts/lab"))
        p.arguments = ["status"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// Whether lab tests run: the lab is up, or this is CI (where a down lab must fail them).
    public static let enabled = isUp || isCI
    public static let skipReason = "the lab is not running: start it with scripts/lab up"

    /// The lab's CA and MX certificate (made by `scripts/lab up`).
    public static let caFile = TestRepository.path("lab/run/tls/ca.pem")
    public static let certFile = TestRepository.path("lab/run/tls/mx.pem")

    /// Runs a command found on PATH (in the checkout) and returns its standard output, or nil when it cannot be
    /// started.
    public static func output(_ arguments: [String]) -> String? { (try? run(arguments))?.stdout }

    /// Runs a command found on PATH in the checkout: its exit status and standard output (standard error is
    /// dropped).
    public static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        p.currentDirectoryURL = TestRepository.root
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Snapshot files: compared with, or rewritten when UPDATE_SNAPSHOTS=1.
public enum Snapshot {
    /// Nil when `text` is the snapshot at `path` (or the snapshot was rewritten), else what differs.
    public static func mismatch(_ text: String, _ path: URL) throws -> String? {
        if ProcessInfo.processInfo.environment["UPDATE_SNAPSHOTS"] == "1" {
            try text.write(to: path, atomically: true, encoding: .utf8)
            return nil
        }
        let expected = try String(contentsOf: path, encoding: .utf8)
        guard text != expected else { return nil }
        let a = text.split(separator: "\n", omittingEmptySubsequences: false)
        let b = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let line = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        let got = line < a.count ? String(a[line]) : "(end)"
        let want = line < b.count ? String(b[line]) : "(end)"
        return "snapshot \(path.lastPathComponent) differs at line \(line + 1): got \(got), expected \(want); "
            + "UPDATE_SNAPSHOTS=1 rewrites it"
    }
}
