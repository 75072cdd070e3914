import SMTPDiagRunner

/// TAP version 13: a plan line, `ok`/`not ok` a check, a YAML block for failures and errors, `# SKIP`.
public struct TAPReporter: Reporter {
    public init() {}

    /// A YAML double-quoted string. Control characters are escapes (`\n`, `\x1b`, `\u202e`): YAML readers refuse
    /// them raw, and a TAP stream on a terminal must not carry a server's escape sequences.
    static func yamlString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let v = u.value
                if v < 0x20 || (0x7F...0x9F).contains(v) {
                    out += "\\x" + (v < 0x10 ? "0" : "") + String(v, radix: 16)
                } else if (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || v == 0x2028 || v == 0x2029 {
                    out += "\\u" + String(v, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

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
                lines.append("  message: \(Self.yamlString(r.message))")
                if let e = r.expected { lines.append("  expected: \(Self.yamlString(e))") }
                if let a = r.actual { lines.append("  actual: \(Self.yamlString(a))") }
                if !r.missing.isEmpty {
                    lines.append("  missing: [" + r.missing.map(Self.yamlString).joined(separator: ", ") + "]")
                }
                if !r.extra.isEmpty {
                    lines.append("  extra: [" + r.extra.map(Self.yamlString).joined(separator: ", ") + "]")
                }
                lines.append(
                    "  at: \(Self.yamlString("\(options.path(r.location.file)):\(r.location.line):\(r.location.column)"))"
                )
                lines.append("  ...")
            }
        }
        emit(lines.joined(separator: "\n") + "\n")
    }
}
