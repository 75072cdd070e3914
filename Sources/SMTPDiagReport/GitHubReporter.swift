import SMTPDiagRunner
import SMTPDiagSpec

/// GitHub Actions workflow commands: an `::error` annotation at the spec line of each failure
/// (`::warning` for checks that could not run), and `stepSummary` for GITHUB_STEP_SUMMARY.
public struct GitHubReporter: Reporter {
    public init() {}

    /// Workflow-command escaping (properties also escape `:` and `,`).
    static func escapeData(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    static func escapeProperty(_ s: String) -> String {
        escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    public func render(_ report: RunReport, options: ReportOptions) -> String {
        var lines: [String] = []
        for r in report.results where r.status == .fail || r.status == .error {
            let kind = r.status == .fail ? "error" : "warning"
            // Server bytes are shown escaped; only the line breaks written here separate the fields.
            var message = terminalSafe(r.message)
            if let e = r.expected { message += "\nexpected: \(terminalSafe(e))" }
            if let a = r.actual, r.status == .fail { message += "\nactual: \(terminalSafe(a))" }
            if !r.missing.isEmpty { message += "\nmissing: " + terminalSafe(r.missing.joined(separator: ", ")) }
            if !r.extra.isEmpty { message += "\nextra: " + terminalSafe(r.extra.joined(separator: ", ")) }
            let props =
                "file=\(Self.escapeProperty(options.path(r.location.file))),line=\(r.location.line),col=\(r.location.column),title=\(Self.escapeProperty(r.id.rawValue))"
            lines.append("::\(kind) \(props)::\(Self.escapeData(message))")
        }
        lines.append(
            "smtpdiag-spec: \(report.results.count) checks: \(report.count(.pass)) pass, \(report.count(.fail)) fail, "
                + "\(report.count(.error)) error, \(report.count(.skip)) skip")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Markdown for $GITHUB_STEP_SUMMARY.
    public static func stepSummary(_ report: RunReport, options: ReportOptions) -> String {
        func cell(_ s: String) -> String {
            terminalSafe(s).replacingOccurrences(of: "|", with: "\\|")
        }
        var md = "## smtpdiag-spec\n\n"
        md += "| checks | pass | fail | error | skip |\n|---|---|---|---|---|\n"
        md +=
            "| \(report.results.count) | \(report.count(.pass)) | \(report.count(.fail)) | \(report.count(.error)) | \(report.count(.skip)) |\n"
        let bad = report.results.filter { $0.status == .fail || $0.status == .error }
        if !bad.isEmpty {
            md += "\n| status | check | message | spec |\n|---|---|---|---|\n"
            for r in bad.prefix(200) {
                md +=
                    "| \(r.status.rawValue) | `\(cell(r.id.rawValue))` | \(cell(r.message)) | \(cell(options.path(r.location.file))):\(r.location.line) |\n"
            }
            if bad.count > 200 { md += "\n(\(bad.count - 200) more in the other reports)\n" }
        }
        if report.interrupted { md += "\n**The run ended early (\(report.interruptReason ?? "interrupted")).**\n" }
        return md
    }
}
