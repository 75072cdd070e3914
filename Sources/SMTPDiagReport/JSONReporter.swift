import Foundation
import SMTPDiagRunner

/// The JSON report, version 1 (schema/report.schema.json, docs in README "Reports"): every check,
/// its outcome and its evidence.
public struct JSONReporter: Reporter {
    public init() {}
    public static let formatVersion = 1

    public func render(_ report: RunReport, options: ReportOptions) -> String {
        let checks: [[String: Any]] = report.results.map { r in
            var o: [String: Any] = [
                "id": r.id.rawValue, "plan_id": r.planID.rawValue, "status": r.status.rawValue, "message": r.message,
                "domain": r.domain, "tags": r.tags, "duration_ms": r.duration.milliseconds,
                "location": [
                    "file": options.path(r.location.file), "line": r.location.line, "column": r.location.column,
                ],
                "missing": r.missing, "extra": r.extra,
                "evidence": ["dns": r.evidence.dns, "smtp": r.evidence.smtp, "tls": r.evidence.tls],
            ]
            if r.advisory { o["advisory"] = true }
            if let e = r.expected { o["expected"] = e }
            if let a = r.actual { o["actual"] = a }
            return o
        }
        var doc: [String: Any] = [
            "format": "smtpdiag-spec-report", "version": Self.formatVersion,
            "started": ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: report.started)),
            "duration_ms": report.duration.milliseconds, "interrupted": report.interrupted,
            "files": report.files.map(options.path), "exit_code": Int(report.exitCode),
            "summary": [
                "total": report.results.count, "pass": report.count(.pass), "fail": report.count(.fail),
                "error": report.count(.error), "skip": report.count(.skip),
            ],
            "checks": checks,
        ]
        if let reason = report.interruptReason { doc["interrupt_reason"] = reason }
        let data = (try? JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
