import ArgumentParser
import Foundation
import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagReport
import SMTPDiagRunner
import SMTPDiagSpec

extension SMTPDiagSpecCommand {
    /// Reports of earlier runs.
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with the JSON reports of earlier runs.", subcommands: [Merge.self])

        /// `report merge`: the JSON reports of `--shard` jobs as one report, with the exit code of the whole.
        struct Merge: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Merge JSON reports (of run --shard jobs) into one report in any format.",
                discussion: """
                    A check a shard left out is taken from the report of the shard that ran it; of two results of \
                    one check, the worse is kept. Exit codes as for run: 0 no failure and no error, 1 a failure, 3 an error (or an interrupted shard), 2 a file that \
                    is not a JSON report.
                    """)

            @Argument(help: "JSON reports, as run --report json=FILE writes them.")
            var files: [String] = []

            @Option(help: "Output format on standard output: human, json, junit, tap or github.")
            var format: OutputFormat = .human

            @Option(
                name: .customLong("report"), help: "Also write a report: FORMAT=FILE (repeatable).",
                transform: ReportTarget.init(parsing:))
            var reports: [ReportTarget] = []

            @Flag(name: [.customShort("v"), .long], help: "Show DNS answers and SMTP transcripts.")
            var verbose = false

            /// A report bigger than this is not read (the 10,000-domain fleet's is 130 MB).
            static let maxSize = 1 << 30

            func validate() throws {
                if files.isEmpty { throw ValidationError("give at least one JSON report") }
            }

            func run() async throws {
                var order: [String] = []
                var byID: [String: CheckResult] = [:]
                var starts: [Double] = []
                var ends: [Double] = []
                var interrupted: String?
                var wasInterrupted = false
                var specFiles: [String] = []
                for path in files {
                    let file: ReportFile
                    do {
                        file = try Self.read(path)
                    } catch {
                        printError("smtpdiag-spec: \(terminalSafe(path)): \(terminalSafe("\(error)"))")
                        throw ExitCode(2)
                    }
                    let started = ISO8601DateFormatter().date(from: file.started)?.timeIntervalSince1970 ?? 0
                    starts.append(started)
                    ends.append(started + Double(file.duration_ms) / 1000)
                    if file.interrupted {
                        wasInterrupted = true
                        interrupted = interrupted ?? file.interrupt_reason
                    }
                    for f in file.files where !specFiles.contains(f) { specFiles.append(f) }
                    for c in file.checks {
                        let result = c.result()
                        if let existing = byID[c.id] {
                            // A shard's own result over another shard's "not selected"; of two results of the
                            // same check, the worse (a failure is never hidden by a pass of another report).
                            if existing.unselected && !result.unselected
                                || !result.unselected && Self.rank(result.status) > Self.rank(existing.status)
                            {
                                byID[c.id] = result
                            }
                        } else {
                            order.append(c.id)
                            byID[c.id] = result
                        }
                    }
                }
                let results = order.compactMap { byID[$0] }
                let start = starts.min() ?? 0
                let span = max(0, (ends.max() ?? start) - start)
                let report = RunReport(
                    results: ResultList(results), started: start, duration: .milliseconds(Int64(span * 1000)),
                    interrupted: wasInterrupted, interruptReason: interrupted, files: specFiles)
                let code = RunOptionsGroup.deliver(report, format: format, reports: reports, verbose: verbose)
                if code != 0 { throw ExitCode(code) }
            }

            /// How bad an outcome is: fail over error over skip over pass.
            static func rank(_ s: CheckStatus) -> Int {
                switch s {
                case .pass: return 0
                case .skip: return 1
                case .error: return 2
                case .fail: return 3
                }
            }

            struct Problem: Error, CustomStringConvertible {
                let description: String
            }

            static func read(_ path: String) throws -> ReportFile {
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    throw Problem(description: "cannot read it")
                }
                defer { try? handle.close() }
                let data = (try? handle.read(upToCount: maxSize + 1)) ?? Data()
                guard data.count <= maxSize else { throw Problem(description: "over \(maxSize >> 20) MB") }
                let file: ReportFile
                do {
                    file = try JSONDecoder().decode(ReportFile.self, from: data)
                } catch {
                    throw Problem(description: "not a JSON report of smtpdiag-spec (\(error))")
                }
                guard file.format == "smtpdiag-spec-report", file.version == 1 else {
                    throw Problem(description: "not a version 1 smtpdiag-spec report")
                }
                return file
            }
        }
    }
}

/// The JSON report, version 1 (schema/report.schema.json), as `report merge` reads it.
struct ReportFile: Decodable {
    let format: String
    let version: Int
    let started: String
    let duration_ms: Int
    let interrupted: Bool
    let interrupt_reason: String?
    let files: [String]
    let checks: [Check]

    struct Check: Decodable {
        struct Location: Decodable {
            let file: String
            let line: Int
            let column: Int
        }

        struct Evidence: Decodable {
            let dns: [String]
            let smtp: [String]
            let tls: [String: String]
        }

        let id: String
        let plan_id: String
        let status: String
        let advisory: Bool?
        let unselected: Bool?
        let message: String
        let expected: String?
        let actual: String?
        let missing: [String]
        let extra: [String]
        let domain: String
        let tags: [String]
        let duration_ms: Int
        let location: Location
        let evidence: Evidence

        /// The result as the run had it (its id as text: nothing parses it).
        func result() -> CheckResult {
            var evidence = SMTPDiagRunner.Evidence()
            evidence.dns = self.evidence.dns
            evidence.smtp = self.evidence.smtp
            evidence.tls = self.evidence.tls
            var r = CheckResult(
                id: CheckID(id), planID: CheckID(plan_id), status: CheckStatus(rawValue: status) ?? .error,
                message: message, expected: expected, actual: actual, missing: missing, extra: extra,
                location: SourceLocation(file: location.file, line: location.line, column: location.column),
                domainName: (try? DomainName(parsing: domain.isEmpty ? "." : domain + ".")) ?? .root, tags: tags,
                duration: .milliseconds(duration_ms), evidence: evidence)
            r.advisory = advisory ?? false
            r.unselected = unselected ?? false
            return r
        }
    }
}
