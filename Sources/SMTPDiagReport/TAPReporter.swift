import SMTPDiagRunner
import SMTPDiagSpec

/// TAP version 13: a plan line, `ok`/`not ok` a check, a YAML block for failures and errors, `# SKIP`.
public struct TAPReporter: Reporter {
    public init() {}

    public func render(_ report: RunReport, options: ReportOptions) -> String {
        var whole = ""
        write(report, options: options) { whole += $0 }
        return whole
    }

    /// Written in pieces of about a megabyte: a large run's report is never held whole.
    public func write(_ report: RunReport, options: ReportOptions, to emit: (String) -> Void) {
        var lines = ["TAP version 13", "1..\(report.results.count)"]
        var size = 0
        for (i, r) in report.results.enumerated() {
            if size >= 1 << 20 {
                emit(lines.joined(separator: "\n") + "\n")
                lines = []
                size = 0
            }
            let before = lines.count
            defer { for line in lines[before...] { size += line.utf8.count + 1 } }
            let n = i + 1
            // A description must not contain '#' unescaped; ids never do, messages might.
            let id = terminalSafe(r.id.rawValue).replacingOccurrences(of: "#", with: "\\#")
            switch r.status {
            case .pass: lines.append("ok \(n) - \(id)")
            case .skip: lines.append("ok \(n) - \(id) # SKIP \(terminalSafe(r.message))")
            case .fail, .error:
                lines.append("not ok \(n) - \(id)")
                lines.append("  ---")
                lines.append("  severity: \(r.status == .fail ? "fail" : "error")")
                lines.append("  message: \(yamlDoubleQuoted(r.message))")
                if let e = r.expected { lines.append("  expected: \(yamlDoubleQuoted(e))") }
                if let a = r.actual { lines.append("  actual: \(yamlDoubleQuoted(a))") }
                if !r.missing.isEmpty {
                    lines.append("  missing: [" + r.missing.map(yamlDoubleQuoted).joined(separator: ", ") + "]")
                }
                if !r.extra.isEmpty {
                    lines.append("  extra: [" + r.extra.map(yamlDoubleQuoted).joined(separator: ", ") + "]")
                }
                lines.append(
                    "  at: \(yamlDoubleQuoted("\(options.path(r.location.file)):\(r.location.line):\(r.location.column)"))"
                )
                lines.append("  ...")
            }
        }
        emit(lines.joined(separator: "\n") + "\n")
    }
}
