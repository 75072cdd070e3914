import Foundation
import SMTPDiagRunner

/// The JSON report, version 1 (schema/report.schema.json, README "Reports"): every check, its outcome
/// and its evidence. Written directly rather than through JSONSerialization, which took longer than
/// the run itself on large fleets.
public struct JSONReporter: Reporter {
    public init() {}
    public static let formatVersion = 1

    /// A JSON string literal (RFC 8259 §7).
    static func string(_ s: String, into out: inout String) {
        out.append("\"")
        // Most strings need no escape: append them whole.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out.append(s)
            out.append("\"")
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out.append("\"")
    }

    static func strings(_ list: [String], into out: inout String) {
        out.append("[")
        for (i, s) in list.enumerated() {
            if i > 0 { out.append(", ") }
            string(s, into: &out)
        }
        out.append("]")
    }

    public func render(_ report: RunReport, options: ReportOptions) -> String {
        var whole = ""
        write(report, options: options) { whole += $0 }
        return whole
    }

    public func write(_ report: RunReport, options: ReportOptions, to emit: (String) -> Void) {
        let chunk = 1 << 20
        var o = ""
        o.reserveCapacity(chunk + 64 * 1024)
        func key(_ k: String, _ indent: String) { o.append("\n\(indent)\"\(k)\": ") }
        o.append("{")
        key("format", "  "); o.append("\"smtpdiag-spec-report\",")
        key("version", "  "); o.append("\(Self.formatVersion),")
        key("started", "  ");
        Self.string(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: report.started)), into: &o);
        o.append(",")
        key("duration_ms", "  "); o.append("\(report.duration.milliseconds),")
        key("interrupted", "  "); o.append("\(report.interrupted),")
        if let reason = report.interruptReason {
            key("interrupt_reason", "  "); Self.string(reason, into: &o); o.append(",")
        }
        key("files", "  "); Self.strings(report.files.map(options.path), into: &o); o.append(",")
        key("exit_code", "  "); o.append("\(report.exitCode),")
        key("summary", "  ")
        o.append(
            "{\"total\": \(report.results.count), \"pass\": \(report.count(.pass)), \"fail\": \(report.count(.fail)), "
                + "\"error\": \(report.count(.error)), \"skip\": \(report.count(.skip))},")
        key("checks", "  ")
        o.append("[")
        for (i, r) in report.results.enumerated() {
            if o.utf8.count >= chunk {
                emit(o)
                o.removeAll(keepingCapacity: true)
            }
            o.append(i == 0 ? "\n    {" : ",\n    {")
            key("id", "      "); Self.string(r.id.rawValue, into: &o); o.append(",")
            key("plan_id", "      "); Self.string(r.planID.rawValue, into: &o); o.append(",")
            key("status", "      "); o.append("\"\(r.status.rawValue)\",")
            if r.advisory { key("advisory", "      "); o.append("true,") }
            key("message", "      "); Self.string(r.message, into: &o); o.append(",")
            if let e = r.expected { key("expected", "      "); Self.string(e, into: &o); o.append(",") }
            if let a = r.actual { key("actual", "      "); Self.string(a, into: &o); o.append(",") }
            key("missing", "      "); Self.strings(r.missing, into: &o); o.append(",")
            key("extra", "      "); Self.strings(r.extra, into: &o); o.append(",")
            key("domain", "      "); Self.string(r.domain, into: &o); o.append(",")
            key("tags", "      "); Self.strings(r.tags, into: &o); o.append(",")
            key("duration_ms", "      "); o.append("\(r.duration.milliseconds),")
            key("location", "      ")
            o.append("{\"file\": ")
            Self.string(options.path(r.location.file), into: &o)
            o.append(", \"line\": \(r.location.line), \"column\": \(r.location.column)},")
            key("evidence", "      ")
            o.append("{\"dns\": ")
            Self.strings(r.evidence.dns, into: &o)
            o.append(", \"smtp\": ")
            Self.strings(r.evidence.smtp, into: &o)
            o.append(", \"tls\": {")
            for (j, (k, v)) in r.evidence.tls.sorted(by: { $0.key < $1.key }).enumerated() {
                if j > 0 { o.append(", ") }
                Self.string(k, into: &o)
                o.append(": ")
                Self.string(v, into: &o)
            }
            o.append("}}\n    }")
        }
        o.append(report.results.isEmpty ? "]" : "\n  ]")
        o.append("\n}\n")
        emit(o)
    }
}
