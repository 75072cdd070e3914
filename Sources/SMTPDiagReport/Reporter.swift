import SMTPDiagRunner

/// The output formats: the registry of reporters (the command line adds its option parsing).
public enum OutputFormat: String, CaseIterable, Sendable {
    case human, json, junit, tap, github

    public var reporter: any Reporter {
        switch self {
        case .human: return HumanReporter()
        case .json: return JSONReporter()
        case .junit: return JUnitReporter()
        case .tap: return TAPReporter()
        case .github: return GitHubReporter()
        }
    }
}

/// How a report is rendered.
public struct ReportOptions: Sendable {
    /// ANSI colours (only on a terminal, never with NO_COLOR: the CLI decides).
    public var color: Bool = false
    /// DNS answers and SMTP transcripts.
    public var verbose: Bool = false
    /// Make file paths relative to this folder.
    public var relativeTo: String? = nil
    public init(color: Bool = false, verbose: Bool = false, relativeTo: String? = nil) {
        self.color = color
        self.verbose = verbose
        self.relativeTo = relativeTo
    }

    func path(_ p: String) -> String {
        guard let base = relativeTo, p.hasPrefix(base + "/") else { return p }
        return String(p.dropFirst(base.count + 1))
    }
}

/// A reporter renders a finished (or interrupted) run. Pure: it never decides the exit code.
public protocol Reporter: Sendable {
    func render(_ report: RunReport, options: ReportOptions) -> String
    /// Writes the report in pieces through `emit`, so a large run's report is never held whole.
    func write(_ report: RunReport, options: ReportOptions, to emit: (String) -> Void)
}

extension Reporter {
    public func write(_ report: RunReport, options: ReportOptions, to emit: (String) -> Void) {
        emit(render(report, options: options))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Int { Int((seconds * 1000).rounded()) }
}

func formatSeconds(_ d: Duration) -> String {
    let s = d.seconds
    return s < 10 ? String(Double(Int(s * 100)) / 100) + "s" : String(Double(Int(s * 10)) / 10) + "s"
}

/// A YAML double-quoted string. Control characters are escapes (`\n`, `\x1b`, `\u202e`): YAML readers refuse
/// them raw, and a report or spec on a terminal must not carry a server's escape sequences. (TAP's YAML blocks,
/// and the specs `init` writes.)
public func yamlDoubleQuoted(_ s: String) -> String {
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

/// Text from a server or a spec made safe for a terminal and for CI logs: control characters (C0, DEL, C1)
/// shown as `\n`, `\r`, `\t` or `\x1b`, and bidirectional-override characters as `\u{202e}`, so that no
/// byte chosen by a server can move the cursor, retitle the window, or start a line of its own (a line
/// starting with `::error` is a GitHub Actions annotation).
public func terminalSafe(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
        guard needsEscape(scalar) else {
            out.unicodeScalars.append(scalar)
            continue
        }
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            let hex = String(scalar.value, radix: 16)
            out += scalar.value <= 0xFF ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u{\(hex)}"
        }
    }
    return out
}

private func needsEscape(_ s: Unicode.Scalar) -> Bool {
    let v = s.value
    return v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
        || v == 0x2028 || v == 0x2029
}
