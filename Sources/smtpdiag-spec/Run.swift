import ArgumentParser
import Foundation
import SMTPDiagDNS
import SMTPDiagFamilies
import SMTPDiagMailAuth
import SMTPDiagPlan
import SMTPDiagReport
import SMTPDiagRunner
import SMTPDiagSMTP
import SMTPDiagSpec
import SMTPDiagZone

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
        @OptionGroup var select: SelectionOptions

        func run() async throws {
            let loaded = input.loader.load(paths: input.resolvedPaths)
            try exitOnDiagnostics(loaded.diagnostics)
            let files = try run.applyServerOverrides(loaded.files)
            let compiled = PlanCompiler(families: Families.builtin.plan).compile(files)
            try exitOnDiagnostics(compiled.diagnostics)
            let zones = try run.zoneFiles(files)
            let code = await run.execute(
                plan: compiled.plan, selection: select.selection, files: files.map(\.path), zones: zones)
            finish(status: code, files, compiled)
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

extension RunOptionsGroup {
    /// Runs the selected checks of the plan, writes every report, and returns the exit code.
    func execute(
        plan full: CheckPlan, selection: Selection = Selection(), files: [String], zones: ZoneSet? = nil,
        human: ((RunReport, Bool) -> String)? = nil
    ) async -> Int32 {
        let (plan, skipped) = selection.apply(to: full)
        if let problem = selection.emptiness(of: full) {
            printError("smtpdiag-spec: \(problem); nothing was run")
            return 2
        }
        var options = RunOptions()
        options.jobs = jobs
        options.systemResolvers = systemResolvers
        options.defaultHelo = ProcessInfo.processInfo.hostName
        options.deadline = deadline
        options.keepPassingEvidence = verbose
        options.families = Families.builtin
        // The Public Suffix List, read only when the plan has DMARC checks (the ones that may need it).
        if plan.checks.contains(where: {
            if case .family(let f) = $0.kind { f.family == DMARCFamily.key } else { false }
        }) {
            do {
                options.probes[PublicSuffixList.self] = try publicSuffixList()
            } catch {
                printError("smtpdiag-spec: \(error); nothing was run")
                return 2
            }
        }
        let progress = Progress(enabled: isatty(2) == 1 && ProcessInfo.processInfo.environment["CI"] == nil)
        options.progress = { done, total in progress.update(done, total) }
        let dns = DNSClient()
        options.executors = dns.taskExecutors
        let smtp = SMTPClient(maxSessionsPerAddress: smtpPerHost)
        let live = LiveDNSProbe(client: dns)
        let probe: any DNSProbe = zones.map { ZoneFilesProbe(live: live, zones: $0) } ?? live
        let runner = Runner(dns: probe, smtp: LiveSMTPProbe(client: smtp), options: options)
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
        return Self.deliver(report, format: format, reports: reports, verbose: verbose, human: human)
    }

    /// Writes every report asked for (the files first, then standard output) and returns the exit code: the
    /// report's, or 3 when a report could not be written.
    static func deliver(
        _ report: RunReport, format: OutputFormat, reports: [ReportTarget], verbose: Bool,
        human: ((RunReport, Bool) -> String)? = nil
    ) -> Int32 {
        let cwd = FileManager.default.currentDirectoryPath
        var problems: [String] = []
        // Report files first: whatever happens to standard output (a closed pipe, a full disk), they are written.
        for target in reports {
            if let problem = Self.writeReport(report, format: target.format, to: target.path, relativeTo: cwd) {
                problems.append(problem)
            }
        }
        if format == .github || reports.contains(where: { $0.format == .github }),
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
