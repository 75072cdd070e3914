import SMTPDiagRunner
import SMTPDiagSpec

/// The console report, in the spirit of SMTPDiag's: a line a check, passes green, failures red,
/// information gray, then a summary line. Passes and skips are listed for small runs or with -v.
public struct HumanReporter: Reporter {
    public init() {}

    static let listAllUpTo = 300

    public func render(_ report: RunReport, options: ReportOptions) -> String {
        /// Every line is made safe before it is painted: a message, an id or evidence may carry bytes chosen
        /// by a server or a spec.
        func paint(_ text: String, _ code: String) -> String {
            let safe = terminalSafe(text)
            return options.color ? "\u{1B}[\(code)m\(safe)\u{1B}[0m" : safe
        }
        let gray = "90"
        var lines: [String] = []
        let listAll = options.verbose || report.results.count <= Self.listAllUpTo
        var unselected = 0
        for r in report.results {
            if r.unselected {
                unselected += 1
                continue
            }
            let advice = r.advisory && r.status != .pass
            let label: String
            switch r.status {
            case _ where advice: label = paint("ADVICE", "36")
            case .pass: label = paint("PASS ", "32")
            case .fail: label = paint("FAIL ", "31")
            case .error: label = paint("ERROR", "33")
            case .skip: label = paint("SKIP ", gray)
            }
            guard listAll || r.status == .fail || r.status == .error else { continue }
            lines.append(
                "\(label) \(terminalSafe(r.id.rawValue))  \(terminalSafe(r.message))"
                    + (advice ? " (advisory: does not change the exit code)" : ""))
            if r.status == .fail || r.status == .error {
                lines.append(
                    paint("        at \(options.path(r.location.file)):\(r.location.line):\(r.location.column)", gray))
                if let e = r.expected { lines.append(paint("        expected: \(e)", gray)) }
                if let a = r.actual, r.status == .fail { lines.append(paint("        actual:   \(a)", gray)) }
                if !r.missing.isEmpty {
                    lines.append(paint("        missing:  \(r.missing.joined(separator: ", "))", gray))
                }
                if !r.extra.isEmpty {
                    lines.append(paint("        extra:    \(r.extra.joined(separator: ", "))", gray))
                }
            }
            if options.verbose {
                for d in r.evidence.dns { lines.append(paint("        dns: \(d)", gray)) }
                for s in r.evidence.smtp { lines.append(paint("        \(s)", gray)) }
                for (k, v) in r.evidence.tls.sorted(by: { $0.key < $1.key }) {
                    lines.append(paint("        tls \(k): \(v)", gray))
                }
            }
        }
        if report.interrupted {
            lines.append(
                paint(
                    "Run ended early (\(report.interruptReason ?? "interrupted")): unfinished checks are reported as not run.",
                    "33"))
        }
        let advice = report.adviceCount
        let total = report.results.count
        var counted = "\(total) checks"
        if let planned = report.planned, planned != total - unselected {
            counted = "\(total - unselected) checks (\(planned) planned, \(total - unselected) after expanding servers)"
        } else if unselected > 0 {
            counted = "\(total - unselected) checks"
        }
        let summary =
            "Summary: \(counted) in \(report.files.count) file(s): \(report.count(.pass)) pass, "
            + "\(report.count(.fail) - report.adviceCount(.fail)) fail, "
            + "\(report.count(.error) - report.adviceCount(.error)) error, \(report.count(.skip) - unselected) skip"
            + (advice > 0 ? ", \(advice) advice" : "")
            + (unselected > 0 ? "; \(unselected) not selected" : "")
            + " (\(formatSeconds(report.duration)))"
        let color = report.exitCode == 1 ? "31" : (report.exitCode == 3 ? "33" : "32")
        lines.append(paint(summary, color))
        return lines.joined(separator: "\n") + "\n"
    }
}
