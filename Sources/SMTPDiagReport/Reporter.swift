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
