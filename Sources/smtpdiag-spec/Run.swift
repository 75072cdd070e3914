import ArgumentParser
import Foundation
import SMTPDiagDNS
import SMTPDiagPlan
import SMTPDiagReport
import SMTPDiagRunner
import SMTPDiagSMTP
import SMTPDiagSpec

extension SMTPDiagSpecCommand {
    /// The main job: run the checks of the specs and report.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the checks of spec files against DNS and SMTP servers, and report.",
            discussion: """
                Exit codes: 0 no failure and no error; 1 at least one check failed; 2 invalid spec or usage \
                (nothing was run); 3 no failure but at least one check could not run (or the run was interrupted).
                """)

        @OptionGroup var input: SpecInput
        @OptionGroup var run: RunOptionsGroup

        func run() async throws {
            let loaded = input.loader.load(paths: input.resolvedPaths)
            try exitOnDiagnostics(loaded.diagnostics)
            let files = try run.applyServerOverrides(loaded.files)
            let compiled = PlanCompiler().compile(files)
            try exitOnDiagnostics(compiled.diagnostics)
            let code = await run.execute(plan: compiled.plan, files: files.map(\.path))
            throw ExitCode(code)
        }
    }
}

/// Prints diagnostics and exits 2 when there are any.
func exitOnDiagnostics(_ diagnostics: [SpecDiagnostic]) throws {
    guard !diagnostics.isEmpty else { return }
    for d in diagnostics.sorted() { printError(terminalSafe(d.description)) }
    printError("\(diagnostics.count) error(s); nothing was run\n")
    throw ExitCode(2)
}

/// The options `run` and `diag` share.
struct RunOptionsGroup: ParsableArguments {
    @Option(help: "Output format on standard output: human, json, junit, tap or github.")
    var format: OutputFormat = .human

    @Option(name: .customLong("report"), help: "Also write a report: FORMAT=FILE (repeatable), e.g. junit=report.xml.")
    var reports: [String] = []

    @Option(help: "Checks in flight at once (each asks its DNS questions one after another).")
    var jobs: Int = 500

    @Option(
        name: .customLong("smtp-per-host"), help: "At most this many SMTP sessions at once to one address (politeness)."
    )
    var smtpPerHost: Int = 2

    @Option(name: .customLong("tag"), help: "Run only checks of domains or routes with this tag (repeatable).")
    var tags: [String] = []

    @Option(
        name: .customLong("only"),
        help: "Run only checks whose id matches this glob (repeatable), e.g. 'example.test/smtp@*'.")
    var only: [String] = []

    @Option(help: "Run shard K of N (K/N): a deterministic split by domain; the N shards together are the whole plan.")
    var shard: String?

    @Option(name: .customLong("dns-server"), help: "Override a named DNS server: NAME=ADDR[:PORT] (repeatable).")
    var dnsServers: [String] = []

    @Option(name: .customLong("skip"), help: "Skip a kind of check: smtp (port 25 is blocked on many CI runners).")
    var skip: [String] = []

    @Option(help: "A deadline for the whole run, e.g. 5m; unfinished checks are reported as not run.")
    var deadline: String?

    @Flag(name: [.customShort("v"), .long], help: "Show DNS answers and SMTP transcripts.")
    var verbose = false

    @Flag(help: "Print the DNS engine's counters (queries sent, answered, dropped) to standard error at the end.")
    var stats = false

    struct ReportTarget {
        var format: OutputFormat
        var path: String
    }

    var reportTargets: [ReportTarget] {
        reports.compactMap { spec in
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let f = OutputFormat(rawValue: parts[0]) else { return nil }
            return ReportTarget(format: f, path: parts[1])
        }
    }

    var shardPair: (Int, Int)? {
        guard let shard else { return nil }
        let p = shard.split(separator: "/").compactMap { Int($0) }
        return p.count == 2 ? (p[0], p[1]) : nil
    }

    var deadlineDuration: Duration? {
        guard let deadline, case .success(let d) = SpecDuration.parse(deadline), d > .zero else { return nil }
        return d
    }

    func validate() throws {
        for r in reports where !r.contains("=") || OutputFormat(rawValue: String(r.split(separator: "=")[0])) == nil {
            throw ValidationError(
                "--report takes FORMAT=FILE with FORMAT one of \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", ")); got \(r)"
            )
        }
        if shard != nil {
            guard let (k, n) = shardPair, n >= 1, (1...n).contains(k) else {
                throw ValidationError("--shard takes K/N with 1 <= K <= N, e.g. 2/4; got \(shard ?? "")")
            }
        }
        for s in skip where s != "smtp" { throw ValidationError("--skip takes smtp; got \(s)") }
        for d in dnsServers {
            let parts = d.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, (try? DNSServerAddress(parsing: parts[1])) != nil else {
                throw ValidationError("--dns-server takes NAME=ADDR[:PORT] with an IP address; got \(d)")
            }
        }
        if deadline != nil && deadlineDuration == nil {
            throw ValidationError("--deadline takes \(SpecDuration.form), more than 0; got \(deadline ?? "")")
        }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if smtpPerHost < 1 { throw ValidationError("--smtp-per-host must be at least 1") }
    }

    /// `--dns-server NAME=ADDR`: replaces the address of a server of that name in every file.
    func applyServerOverrides(_ files: [SpecFile]) throws -> [SpecFile] {
        var files = files
        for d in dnsServers {
            let parts = d.split(separator: "=", maxSplits: 1).map(String.init)
            guard let address = try? DNSServerAddress(parsing: parts[1]) else { continue }
            if parts[0] == "system" { continue }
            var found = false
            for i in files.indices {
                for j in files[i].servers.indices where files[i].servers[j].name == parts[0] {
                    files[i].servers[j].host = address.host
                    files[i].servers[j].port = address.port
                    found = true
                }
            }
            if !found {
                printError("--dns-server: no spec defines a server named \(terminalSafe(parts[0]))")
                throw ExitCode(2)
            }
        }
        return files
    }

    var systemResolvers: [DNSServerAddress] {
        let overrides = dnsServers.compactMap { d -> DNSServerAddress? in
            let parts = d.split(separator: "=", maxSplits: 1).map(String.init)
            return parts.count == 2 && parts[0] == "system" ? try? DNSServerAddress(parsing: parts[1]) : nil
        }
        return overrides.isEmpty ? SystemResolvers.load() : overrides
    }

    /// Splits the plan into what runs and what is skipped, by shard, tag, glob and --skip.
    func select(_ plan: CheckPlan) -> (run: CheckPlan, skipped: [(Check, String)]) {
        // Nothing to filter: the plan as it is (a filtered copy of a large plan is tens of megabytes).
        if shardPair == nil && tags.isEmpty && only.isEmpty && !skip.contains("smtp") { return (plan, []) }
        var checks = plan.checks
        if let (k, n) = shardPair {
            let groups = Array(Set(checks.map(Self.group))).sorted()
            let mine = Set(groups.enumerated().filter { $0.offset % n == k - 1 }.map(\.element))
            checks = checks.filter { mine.contains(Self.group($0)) }
        }
        var reasons: [CheckID: String] = [:]
        for c in checks {
            if !tags.isEmpty && Set(c.tags).isDisjoint(with: tags) { reasons[c.id] = "filtered out (--tag)" }
            if !only.isEmpty && !only.contains(where: { Self.glob($0, c.id.rawValue) }) {
                reasons[c.id] = "filtered out (--only)"
            }
            if skip.contains("smtp") && c.kind.isSMTP { reasons[c.id] = "filtered out (--skip smtp)" }
        }
        // A selected check brings its prerequisites with it.
        let byID = Dictionary(checks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var stack = checks.filter { reasons[$0.id] == nil }.flatMap(\.dependencies)
        while let d = stack.popLast() {
            if reasons.removeValue(forKey: d) != nil, let c = byID[d] { stack += c.dependencies }
        }
        return (
            CheckPlan(checks: checks.filter { reasons[$0.id] == nil }),
            checks.compactMap { c in reasons[c.id].map { (c, $0) } }
        )
    }

    /// Why the filters select nothing at all (a usage error: a run that checks nothing must not pass), or nil.
    /// An empty shard is not an error when the filters select checks in other shards.
    func emptySelection(_ full: CheckPlan) -> String? {
        guard !tags.isEmpty || !only.isEmpty || !skip.isEmpty, !full.checks.isEmpty else { return nil }
        let any = full.checks.contains { c in
            (tags.isEmpty || !Set(c.tags).isDisjoint(with: tags))
                && (only.isEmpty || only.contains(where: { Self.glob($0, c.id.rawValue) }))
                && !(skip.contains("smtp") && c.kind.isSMTP)
        }
        guard !any else { return nil }
        var filters: [String] = tags.map { "--tag \($0)" } + only.map { "--only '\($0)'" }
        if skip.contains("smtp") { filters.append("--skip smtp") }
        return "no check of the \(full.checks.count) planned is selected by " + filters.joined(separator: " ")
    }

    /// Domain or route: what a shard keeps together (a check and its prerequisites share it).
    static func group(_ c: Check) -> String {
        let id = c.id.rawValue
        if id.hasPrefix("route[") { return String(id.prefix { $0 != "/" }) }
        return c.domain.description
    }

    static func glob(_ pattern: String, _ text: String) -> Bool { fnmatch(pattern, text, 0) == 0 }

    /// Runs the plan, writes every report, and returns the exit code.
    func execute(
        plan full: CheckPlan, files: [String], human: ((RunReport, Bool) -> String)? = nil
    ) async -> Int32 {
        let (plan, skipped) = select(full)
        if let problem = emptySelection(full) {
            printError("smtpdiag-spec: \(problem); nothing was run")
            return 2
        }
        var options = RunOptions()
        options.jobs = jobs
        options.systemResolvers = systemResolvers
        options.defaultHelo = ProcessInfo.processInfo.hostName
        options.deadline = deadlineDuration
        options.keepPassingEvidence = verbose
        let progress = Progress(enabled: isatty(2) == 1 && ProcessInfo.processInfo.environment["CI"] == nil)
        options.progress = { done, total in progress.update(done, total) }
        let dns = DNSClient()
        options.executors = dns.taskExecutors
        let smtp = SMTPClient(maxSessionsPerAddress: smtpPerHost)
        let runner = Runner(dns: LiveDNSProbe(client: dns), smtp: LiveSMTPProbe(client: smtp), options: options)
        let started = Date().timeIntervalSince1970
        let clock = ContinuousClock()
        let t0 = clock.now
        let task = Task { await runner.run(plan, skipped: skipped) }
        let interrupt = Interrupt { task.cancel() }
        let (results, interrupted) = await task.value
        interrupt.stop()
        progress.clear()
        let elapsed = t0.duration(to: clock.now)
        if stats {
            let s = dns.statistics
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            printError(
                "stats: dns_sent=\(s.sent) dns_answered=\(s.received) retransmissions=\(s.retransmissions) "
                    + "timeouts=\(s.timeouts) unmatched=\(s.unmatched) mismatched_question=\(s.mismatchedQuestion) "
                    + "malformed=\(s.malformed) seconds=\((seconds * 1000).rounded() / 1000) "
                    + "dns_answered_per_second=\(Int((Double(s.received) / max(seconds, 0.001)).rounded()))\n")
        }
        await dns.shutdown()
        var report = RunReport(
            results: results, started: started, duration: t0.duration(to: clock.now), interrupted: interrupted != nil,
            interruptReason: interrupted, files: files)
        report.planned = plan.checks.count
        let cwd = FileManager.default.currentDirectoryPath
        var problems: [String] = []
        // Report files first: whatever happens to standard output (a closed pipe, a full disk), they are written.
        for target in reportTargets {
            if let problem = Self.writeReport(report, format: target.format, to: target.path, relativeTo: cwd) {
                problems.append(problem)
            }
        }
        if format == .github || reportTargets.contains(where: { $0.format == .github }),
            let summary = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !summary.isEmpty
        {
            let md = GitHubReporter.stepSummary(report, options: ReportOptions(relativeTo: cwd))
            let fd = open(summary, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if fd < 0 {
                problems.append("cannot write GITHUB_STEP_SUMMARY (\(summary)): \(String(cString: strerror(errno)))")
            } else {
                let sink = OutputSink(fd: fd, name: "GITHUB_STEP_SUMMARY (\(summary))")
                sink.write(md)
                close(fd)
                if let p = sink.problem { problems.append(p) }
            }
        }
        let color = isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        let stdout = OutputSink.standardOutput
        if format == .human, let human {
            stdout.write(human(report, color))
        } else {
            format.reporter.write(
                report, options: ReportOptions(color: color && format == .human, verbose: verbose, relativeTo: cwd)
            ) { stdout.write($0) }
        }
        if let p = stdout.problem { problems.append(p) }
        var code = report.exitCode
        if !problems.isEmpty {
            // Said last, where it is seen; a run whose reports are incomplete is not a clean pass.
            for p in problems { printError("smtpdiag-spec: \(p)") }
            if code == 0 { code = 3 }
        }
        return code
    }

    /// Writes one report file in pieces to a neighbour, then renames it: a reader never sees half a report.
    /// Returns why it could not be written, if it could not.
    static func writeReport(_ report: RunReport, format: OutputFormat, to path: String, relativeTo cwd: String)
        -> String?
    {
        let partial = path + ".partial"
        let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return "cannot write the report \(path): \(String(cString: strerror(errno)))" }
        let sink = OutputSink(fd: fd, name: "the report \(path)")
        format.reporter.write(report, options: ReportOptions(color: false, verbose: true, relativeTo: cwd)) {
            sink.write($0)
        }
        let closed = close(fd) == 0 ? nil : errno
        if let problem = sink.problem
            ?? closed.map({ "cannot write the report \(path): \(String(cString: strerror($0)))" })
        {
            unlink(partial)
            return problem
        }
        guard rename(partial, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(partial)
            return "cannot write the report \(path): \(why)"
        }
        return nil
    }
}

/// The live progress line on a terminal (standard error), at most ten updates a second.
final class Progress: @unchecked Sendable {
    let enabled: Bool
    private let lock = NSLock()
    private var last = Date.distantPast
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ done: Int, _ total: Int) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(last) > 0.1 || done == total else { return }
        last = now
        shown = true
        OutputSink.standardError.write("\r\u{1B}[2K[\(done)/\(total)] checks finished")
    }

    func clear() {
        guard enabled, shown else { return }
        OutputSink.standardError.write("\r\u{1B}[2K")
    }
}

/// Ctrl-C: the first cancels the run (which still reports), a second ends the process at once.
final class Interrupt: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var count = 0

    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.count += 1
                if self.count > 1 { exit(130) }
                printError("\ninterrupted: finishing the reports (Ctrl-C again to quit now)\n")
                onInterrupt()
            }
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
