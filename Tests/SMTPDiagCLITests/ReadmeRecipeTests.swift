import Foundation
import Testing

/// The README's recipes, run as a reader would run them: its own text, not a copy that could drift.
enum Readme {
    static let text =
        (try? String(contentsOf: E2E.repository.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    /// The fenced blocks (language, body) right under `heading` (not under its subheadings).
    static func blocks(after heading: String) -> [(String, String)] {
        DocsTests.blocks(text).filter { $0.heading == heading }.map { ($0.language, $0.body) }
    }
}

@Suite(
    "README recipes", .enabled(if: E2E.enabled, "the lab is not running: start it with scripts/lab up"), .serialized)
struct ReadmeRecipeTests {
    /// Runs shell text in the repository with the binary under test in place of `.build/release/smtpdiag-spec`
    /// and first on PATH (as `smtpdiag-spec`), with a signal mask of its own (see `runJob` below).
    static func sh(_ script: String, in folder: URL = E2E.repository, environment: [String: String] = [:]) throws
        -> (Int32, String)
    {
        let text = script.replacingOccurrences(of: ".build/release/smtpdiag-spec", with: E2E.binary)
        let log = URL(fileURLWithPath: E2E.temp("readme-\(UInt32.random(in: 0...UInt32.max)).log"))
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "python3", "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp('bash', ['bash', '-c', sys.argv[1]])",
            text,
        ]
        p.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = URL(fileURLWithPath: E2E.binary).deletingLastPathComponent().path + ":" + (env["PATH"] ?? "")
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        return (p.terminationStatus, try String(contentsOf: log, encoding: .utf8))
    }

    @Test func setUpAndQuickStart() throws {
        // `scripts/test` is what CI runs; `scripts/main` runs here with the binary under test (it would build a
        // release binary otherwise), and so does every Quick start line after the build.
        let setUp = try #require(Readme.blocks(after: "## Set-up on a fresh Debian machine").first?.1)
        #expect(setUp.contains("scripts/main") && setUp.contains("scripts/test"))
        let (main, mainOutput) = try Self.sh("scripts/main", environment: ["SMTPDIAG_BINARY": E2E.binary])
        #expect(main == 0, "\(mainOutput)")
        let quick = try #require(Readme.blocks(after: "## Quick start").first { $0.0 == "sh" }?.1)
        defer {
            for f in ["report.xml", "report.json"] {
                try? FileManager.default.removeItem(at: E2E.repository.appendingPathComponent(f))
            }
        }
        for line in quick.split(separator: "\n") where !line.hasPrefix("swift build") {
            let (code, output) = try Self.sh(String(line))
            #expect(code == 0, "\(line): \(output)")
        }
        #expect(FileManager.default.fileExists(atPath: E2E.repository.appendingPathComponent("report.json").path))
        // The Quick start's spec, beside `specs/` so that its relative paths hold: it lints and passes.
        let spec = try #require(Readme.blocks(after: "## Quick start").first { $0.0 == "yaml" }?.1)
        let folder = E2E.repository.appendingPathComponent("readme-spec-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try spec.write(to: folder.appendingPathComponent("quick.yaml"), atomically: true, encoding: .utf8)
        let (run, runOutput) = try Self.sh("smtpdiag-spec lint quick.yaml && smtpdiag-spec run quick.yaml", in: folder)
        #expect(run == 0, "\(runOutput)")
    }

    @Test func environmentVariables() throws {
        let block = try #require(Readme.blocks(after: "### Environment variables in specs").first { $0.0 == "sh" }?.1)
        for line in block.split(separator: "\n") {
            let (code, output) = try Self.sh(String(line))
            #expect(code == 0, "\(line): \(output)")
        }
    }

    @Test func gitHubActionsShards() throws {
        // The workflow's own steps, as a runner would run them, for each shard of its matrix (SMTP skipped, as
        // there); the shards' reports together hold every check of the plan.
        let workflow = try #require(Readme.blocks(after: "## In GitHub Actions").first { $0.0 == "yaml" }?.1)
        let folder = URL(fileURLWithPath: E2E.temp("actions"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try workflow.write(to: folder.appendingPathComponent("workflow.yaml"), atomically: true, encoding: .utf8)
        let (parsed, steps) = try Self.sh(
            "python3 -c 'import yaml, sys; d = yaml.safe_load(open(sys.argv[1])); "
                + "[print(s[\"run\"].replace(chr(10), \" \")) for s in d[\"jobs\"][\"mail-routing\"][\"steps\"] if \"run\" in s]' "
                + folder.appendingPathComponent("workflow.yaml").path)
        #expect(parsed == 0, "\(steps)")
        var total = 0
        for shard in 1...4 {
            for step in steps.split(separator: "\n") where !step.hasPrefix("swift build") {
                let command = step.replacingOccurrences(of: "${{ matrix.shard }}", with: "\(shard)")
                    .replacingOccurrences(of: "report-", with: "\(folder.path)/report-")
                let (code, output) = try Self.sh(command)
                #expect(code == 0, "\(command): \(output)")
            }
            let junit = try String(
                contentsOfFile: folder.appendingPathComponent("report-\(shard).xml").path, encoding: .utf8)
            total += junit.components(separatedBy: "<testcase ").count - 1
        }
        let (_, plan) = try Self.sh(
            "smtpdiag-spec run specs/ --skip smtp --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"summary\"][\"total\"])'"
        )
        #expect(total == Int(plan.trimmingCharacters(in: .whitespacesAndNewlines)), "\(total) vs \(plan)")
        // The summary job: the shards' JSON reports merged into one report of the whole plan, as the unsharded
        // run reports it (every id, every status), with its exit code.
        let (_, summarySteps) = try Self.sh(
            "python3 -c 'import yaml, sys; d = yaml.safe_load(open(sys.argv[1])); "
                + "[print(s[\"run\"].replace(chr(10), \" \")) for s in d[\"jobs\"][\"summary\"][\"steps\"] if \"run\" in s]' "
                + folder.appendingPathComponent("workflow.yaml").path)
        for step in summarySteps.split(separator: "\n") where !step.hasPrefix("swift build") {
            let command = step.replacingOccurrences(of: "report-", with: "\(folder.path)/report-")
            let (code, output) = try Self.sh(command)
            #expect(code == 0, "\(command): \(output)")
            #expect(!output.contains("::error"), "\(output.suffix(500))")
        }
        let merged = try String(contentsOfFile: folder.appendingPathComponent("report-all.xml").path, encoding: .utf8)
        #expect(merged.components(separatedBy: "<testcase ").count - 1 == total)
        let whole = E2E.temp("whole.json")
        let mergedJSON = E2E.temp("merged.json")
        _ = try Self.sh("smtpdiag-spec run specs/ --skip smtp --report json=\(whole) > /dev/null")
        let (mergeCode, mergeOutput) = try Self.sh(
            "smtpdiag-spec report merge \(folder.path)/report-*.json --format tap --report json=\(mergedJSON)")
        #expect(mergeCode == 0, "\(mergeOutput)")
        func statuses(_ path: String) throws -> [String: String] {
            Dictionary(
                uniqueKeysWithValues: E2E.checks(try E2E.json(path)).compactMap { c -> (String, String)? in
                    guard let id = c["id"] as? String, let s = c["status"] as? String else { return nil }
                    return (id, s)
                })
        }
        #expect(try statuses(mergedJSON) == (try statuses(whole)))
        #expect(
            try E2E.json(mergedJSON)["summary"] as? NSDictionary == (try E2E.json(whole)["summary"] as? NSDictionary))
    }

    /// `report merge` gives the exit code of the whole: a failing shard fails the merge; a file that is not a
    /// JSON report is a usage error.
    @Test func mergedReportsKeepTheExitCode() throws {
        let (ok, failing) = (E2E.temp("merge-ok.json"), E2E.temp("merge-fail.json"))
        _ = try E2E.run(["run", "specs/example.yaml", "--skip", "smtp", "--report", "json=\(ok)"])
        _ = try E2E.run(["run", "specs/failing/wrong-mx.yaml", "--report", "json=\(failing)"])
        #expect(try E2E.run(["report", "merge", ok]).code == 0)
        let both = try E2E.run(["report", "merge", ok, failing])
        #expect(both.code == 1, "\(both.stdout)")
        #expect(both.stdout.contains("FAIL  example.test/mx@internal[127.0.0.10]/udp"))
        let notJSON = E2E.temp("not-a-report.json")
        try "{\"format\": \"something else\"}".write(toFile: notJSON, atomically: true, encoding: .utf8)
        #expect(try E2E.run(["report", "merge", notJSON]).code == 2)
        #expect(try E2E.run(["report", "merge"]).code == 2)
    }

    @Test func gatingADNSChangeBeforeItIsLive() throws {
        let blocks = Readme.blocks(after: "### Gating a DNS change before it is live")
        let spec = try #require(blocks.first { $0.0 == "yaml" }?.1)
        let jobs = blocks.filter { $0.0 == "sh" }.map(\.1)
        try #require(jobs.count == 2)
        let (pullRequest, postDeploy) = (jobs[0], jobs[1])
        let dir = URL(fileURLWithPath: E2E.temp("gating"))
        try? FileManager.default.removeItem(at: dir)
        for sub in ["specs", "zones", "nsd-run"] {
            try FileManager.default.createDirectory(
                at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        try spec.write(to: dir.appendingPathComponent("specs/prod.yaml"), atomically: true, encoding: .utf8)
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
        // The pull request's job: no server anywhere, the zone files answer.
        try zone("@    MX   10 mx1\n@    MX   20 mx2")
        let (good, goodOutput) = try Self.sh(pullRequest, in: dir)
        #expect(good == 0, "\(goodOutput)")
        #expect(goodOutput.contains("PASS  example.com/mx@prod[zones]/udp"), "\(goodOutput)")
        // A change that drops an MX fails the job; a broken zone file is an error with its place.
        try zone("@    MX   10 mx1")
        let (bad, badOutput) = try Self.sh(pullRequest, in: dir)
        #expect(bad == 1, "\(badOutput)")
        #expect(badOutput.contains("FAIL  example.com/mx@prod[zones]/udp"), "\(badOutput)")
        try zone("@    MX   10 mx1\n@    MX   twenty mx2")
        let (broken, brokenOutput) = try Self.sh(pullRequest, in: dir)
        #expect(broken == 2, "\(brokenOutput)")
        #expect(brokenOutput.contains("zones/example.com.zone:7:11: error: MX data:"), "\(brokenOutput)")
        // After the deploy: the same spec against a real server (NSD, serving the deployed zone).
        try zone("@    MX   10 mx1\n@    MX   20 mx2")
        let conf = """
            server:
                ip-address: 127.0.0.53@5300
                zonesdir: "\(dir.path)/zones"
                username: ""
                chroot: ""
                database: ""
                pidfile: "\(dir.path)/nsd-run/nsd.pid"
                xfrdfile: "\(dir.path)/nsd-run/xfrd.state"
                zonelistfile: "\(dir.path)/nsd-run/zone.list"
                rrl-ratelimit: 0
            remote-control:
                control-enable: no
            zone:
                name: example.com
                zonefile: example.com.zone

            """
        try conf.write(to: dir.appendingPathComponent("nsd-run/nsd.conf"), atomically: true, encoding: .utf8)
        // NSD started with no descriptor of ours but standard ones: Foundation knows the shell ended only when
        // every holder of its end of a socket pair has gone, and a daemon that kept it would hold the test.
        let (started, startOutput) = try Self.sh(
            "python3 -c 'import subprocess; subprocess.run([\"nsd\", \"-c\", \"nsd-run/nsd.conf\"], close_fds=True, "
                + "check=True)' && for _ in $(seq 50); do dig +short @127.0.0.53 -p 5300 example.com SOA | "
                + "grep -q . && exit 0; sleep 0.1; done; exit 1", in: dir)
        defer { _ = try? Self.sh("kill \"$(cat nsd-run/nsd.pid)\"", in: dir) }
        try #require(started == 0, "NSD did not start: \(startOutput)")
        let (deployed, deployedOutput) = try Self.sh(
            postDeploy, in: dir, environment: ["SMTPDIAG_PROD_DNS": "127.0.0.53:5300"])
        #expect(deployed == 0, "\(deployedOutput)")
        #expect(deployedOutput.contains("PASS  example.com/mx@prod[127.0.0.53]:5300/udp"), "\(deployedOutput)")
    }
}
