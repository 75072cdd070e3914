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
        o.append("{")
        o.append("\n  \"format\": "); o.append("\"smtpdiag-spec-report\",")
        o.append("\n  \"version\": "); o.append("\(Self.formatVersion),")
        o.append("\n  \"started\": ");
        Self.string(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: report.started)), into: &o);
        o.append(",")
        o.append("\n  \"duration_ms\": "); o.append("\(report.duration.milliseconds),")
        o.append("\n  \"interrupted\": "); o.append("\(report.interrupted),")
        if let reason = report.interruptReason {
            o.append("\n  \"interrupt_reason\": "); Self.string(reason, into: &o); o.append(",")
        }
        o.append("\n  \"files\": "); Self.strings(report.files.map(options.path), into: &o); o.append(",")
        o.append("\n  \"exit_code\": "); o.append("\(report.exitCode),")
        o.append("\n  \"summary\": ")
        o.append(
            "{\"total\": \(report.results.count), \"pass\": \(report.count(.pass)), \"fail\": \(report.count(.fail)), "
                + "\"error\": \(report.count(.error)), \"skip\": \(report.count(.skip))},")
        o.append("\n  \"checks\": ")
        o.append("[")
        var lastFile = ""
        var lastPath = options.path("")
        for (i, r) in report.results.enumerated() {
            if o.utf8.count >= chunk {
                emit(o)
                o.removeAll(keepingCapacity: true)
            }
            o.append(i == 0 ? "\n    {" : ",\n    {")
            o.append("\n      \"id\": "); Self.string(r.id.rawValue, into: &o); o.append(",")
            o.append("\n      \"plan_id\": "); Self.string(r.planID.rawValue, into: &o); o.append(",")
            o.append("\n      \"status\": "); o.append("\""); o.append(r.status.rawValue); o.append("\",")
            if r.advisory { o.append("\n      \"advisory\": "); o.append("true,") }
            o.append("\n      \"message\": "); Self.string(r.message, into: &o); o.append(",")
            if let e = r.expected { o.append("\n      \"expected\": "); Self.string(e, into: &o); o.append(",") }
            if let a = r.actual { o.append("\n      \"actual\": "); Self.string(a, into: &o); o.append(",") }
            o.append("\n      \"missing\": "); Self.strings(r.missing, into: &o); o.append(",")
            o.append("\n      \"extra\": "); Self.strings(r.extra, into: &o); o.append(",")
            o.append("\n      \"domain\": "); Self.string(r.domain, into: &o); o.append(",")
            o.append("\n      \"tags\": "); Self.strings(r.tags, into: &o); o.append(",")
            o.append("\n      \"duration_ms\": "); o.append("\(r.duration.milliseconds),")
            o.append("\n      \"location\": ")
            o.append("{\"file\": ")
            // Thousands of results share a file: its path is made relative once.
            if r.location.file != lastFile {
                lastFile = r.location.file
                lastPath = options.path(r.location.file)
            }
            Self.string(lastPath, into: &o)
            o.append(", \"line\": \(r.location.line), \"column\": \(r.location.column)},")
            o.append("\n      \"evidence\": ")
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
