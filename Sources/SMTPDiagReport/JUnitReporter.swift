import SMTPDiagRunner

/// JUnit XML as CI systems read it: one testsuite per spec file, one testcase per check id, with
/// failure, error or skipped.
public struct JUnitReporter: Reporter {
    public init() {}

    static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t": out.unicodeScalars.append(u)
            default:
                // XML 1.0 forbids most control characters even escaped.
                if u.value < 0x20 || (0xD800...0xDFFF).contains(u.value) || u.value == 0xFFFE || u.value == 0xFFFF {
                    out += "?"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    public func render(_ report: RunReport, options: ReportOptions) -> String {
        var whole = ""
        write(report, options: options) { whole += $0 }
        return whole
    }

    /// Per file: which results, and their counts and time.
    private struct Suite {
        var indices: [Int] = []
        var counts: [CheckStatus: Int] = [:]
        var time = 0.0
    }

    /// Written in pieces, results grouped by file through their indices: a large run's results are read one
    /// at a time, never gathered into copies.
    public func write(_ report: RunReport, options: ReportOptions, to emit: (String) -> Void) {
        var suites: [String: Suite] = [:]
        for (i, r) in report.results.enumerated() {
            suites[r.location.file, default: Suite()].indices.append(i)
            suites[r.location.file]?.counts[r.status, default: 0] += 1
            suites[r.location.file]?.time += r.duration.seconds
        }
        // Checks run concurrently: the sum of a file's check times can exceed the whole run. A suite's time is
        // never more than the run's.
        let runTime = report.duration.seconds
        let files = suites.keys.sorted()
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"smtpdiag-spec\" tests=\"\(report.results.count)\" failures=\"\(report.count(.fail))\" "
        x +=
            "errors=\"\(report.count(.error))\" skipped=\"\(report.count(.skip))\" time=\"\(report.duration.seconds)\">\n"
        for file in files {
            let suite = suites[file] ?? Suite()
            let count = { (s: CheckStatus) in suite.counts[s] ?? 0 }
            x +=
                "  <testsuite name=\"\(Self.escape(options.path(file)))\" tests=\"\(suite.indices.count)\" failures=\"\(count(.fail))\" "
            x += "errors=\"\(count(.error))\" skipped=\"\(count(.skip))\" time=\"\(min(suite.time, runTime))\">\n"
            for i in suite.indices {
                if x.utf8.count >= 1 << 20 {
                    emit(x)
                    x = ""
                }
                let r = report.results[i]
                x += "    <testcase name=\"\(Self.escape(r.id.rawValue))\" classname=\"\(Self.escape(r.domain))\" "
                x +=
                    "file=\"\(Self.escape(options.path(r.location.file)))\" line=\"\(r.location.line)\" time=\"\(r.duration.seconds)\""
                var body = [r.message]
                if let e = r.expected { body.append("expected: \(e)") }
                if let a = r.actual { body.append("actual: \(a)") }
                if !r.missing.isEmpty { body.append("missing: " + r.missing.joined(separator: ", ")) }
                if !r.extra.isEmpty { body.append("extra: " + r.extra.joined(separator: ", ")) }
                body.append("at \(options.path(r.location.file)):\(r.location.line):\(r.location.column)")
                let text = Self.escape(body.joined(separator: "\n"))
                // The evidence of a check that did not pass (DNS answers, SMTP transcript, TLS) as its output.
                let evidence =
                    r.evidence.dns.map { "dns: \($0)" } + r.evidence.smtp
                    + r.evidence.tls.sorted { $0.key < $1.key }.map { "tls \($0.key): \($0.value)" }
                let out =
                    evidence.isEmpty || r.status == .pass
                    ? "" : "      <system-out>\(Self.escape(evidence.joined(separator: "\n")))</system-out>\n"
                switch r.status {
                case .pass: x += "/>\n"
                case .fail:
                    x +=
                        ">\n      <failure message=\"\(Self.escape(r.message))\" type=\"fail\">\(text)</failure>\n\(out)    </testcase>\n"
                case .error:
                    x +=
                        ">\n      <error message=\"\(Self.escape(r.message))\" type=\"error\">\(text)</error>\n\(out)    </testcase>\n"
                case .skip:
                    x += ">\n      <skipped message=\"\(Self.escape(r.message))\"/>\n\(out)    </testcase>\n"
                }
            }
            x += "  </testsuite>\n"
        }
        x += "</testsuites>\n"
        emit(x)
    }
}
