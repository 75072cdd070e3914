import Foundation
import SMTPDiagRunner

/// The JSON report, version 1 (schema/report.schema.json, README "Reports"): every check, its outcome
/// and its evidence. Written directly rather than through JSONSerialization, which took longer than
/// the run itself on large fleets.
public struct JSONReporter: Reporter {
    public init() {}
    public static let formatVersion = 1

    public func render(_ report: RunReport, options: ReportOptions) -> String {
        var whole = ""
        write(report, options: options) { whole += $0 }
        return whole
    }

    public func write(_ report: RunReport, options: ReportOptions, to emit: (String) -> Void) {
        // Octets, not a String: appending to a String costs its bookkeeping at every piece, and a result
        // is some thirty pieces (measured: the report took a tenth of a 1,000-domain fleet run's CPU).
        let chunk = 1 << 20
        var o = JSONBytes()
        o.bytes.reserveCapacity(chunk + 64 * 1024)
        o.raw("{")
        o.raw("\n  \"format\": \"smtpdiag-spec-report\",")
        o.raw("\n  \"version\": \(Self.formatVersion),")
        o.raw("\n  \"started\": ")
        o.string(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: report.started)))
        o.raw(",")
        o.raw("\n  \"duration_ms\": \(report.duration.milliseconds),")
        o.raw("\n  \"interrupted\": \(report.interrupted),")
        if let reason = report.interruptReason {
            o.raw("\n  \"interrupt_reason\": ")
            o.string(reason)
            o.raw(",")
        }
        o.raw("\n  \"files\": ")
        o.strings(report.files.map(options.path))
        o.raw(",")
        o.raw("\n  \"exit_code\": \(report.exitCode),")
        o.raw("\n  \"summary\": ")
        o.raw(
            "{\"total\": \(report.results.count), \"pass\": \(report.count(.pass)), \"fail\": \(report.count(.fail)), "
                + "\"error\": \(report.count(.error)), \"skip\": \(report.count(.skip))},")
        o.raw("\n  \"checks\": [")
        var lastFile = ""
        var lastPath = options.path("")
        for (i, r) in report.results.enumerated() {
            if o.bytes.count >= chunk {
                emit(String(decoding: o.bytes, as: UTF8.self))
                o.bytes.removeAll(keepingCapacity: true)
            }
            o.raw(i == 0 ? "\n    {" : ",\n    {")
            o.raw("\n      \"id\": ")
            o.string(r.id.rawValue)
            o.raw(",\n      \"plan_id\": ")
            o.string(r.planID.rawValue)
            o.raw(",\n      \"status\": \"")
            o.raw(r.status.rawValue)
            o.raw("\",")
            if r.advisory { o.raw("\n      \"advisory\": true,") }
            // Left out of this run (`--shard`, `--tag`, `--only`, `--skip`): another shard's report has it.
            if r.unselected { o.raw("\n      \"unselected\": true,") }
            o.raw("\n      \"message\": ")
            o.string(r.message)
            o.raw(",")
            if let e = r.expected {
                o.raw("\n      \"expected\": ")
                o.string(e)
                o.raw(",")
            }
            if let a = r.actual {
                o.raw("\n      \"actual\": ")
                o.string(a)
                o.raw(",")
            }
            o.raw("\n      \"missing\": ")
            o.strings(r.missing)
            o.raw(",\n      \"extra\": ")
            o.strings(r.extra)
            o.raw(",\n      \"domain\": ")
            o.string(r.domain)
            o.raw(",\n      \"tags\": ")
            o.strings(r.tags)
            o.raw(",\n      \"duration_ms\": ")
            o.int(r.duration.milliseconds)
            o.raw(",\n      \"location\": {\"file\": ")
            // Thousands of results share a file: its path is made relative once.
            if r.location.file != lastFile {
                lastFile = r.location.file
                lastPath = options.path(r.location.file)
            }
            o.string(lastPath)
            o.raw(", \"line\": ")
            o.int(r.location.line)
            o.raw(", \"column\": ")
            o.int(r.location.column)
            o.raw("},\n      \"evidence\": {\"dns\": ")
            o.strings(r.evidence.dns)
            o.raw(", \"smtp\": ")
            o.strings(r.evidence.smtp)
            o.raw(", \"tls\": {")
            for (j, (k, v)) in r.evidence.tls.sorted(by: { $0.key < $1.key }).enumerated() {
                if j > 0 { o.raw(", ") }
                o.string(k)
                o.raw(": ")
                o.string(v)
            }
            o.raw("}}\n    }")
        }
        o.raw(report.results.isEmpty ? "]" : "\n  ]")
        o.raw("\n}\n")
        emit(String(decoding: o.bytes, as: UTF8.self))
    }
}

/// JSON written as UTF-8 octets.
struct JSONBytes {
    var bytes: [UInt8] = []

    /// Text that needs no escaping.
    mutating func raw(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func int(_ v: Int) {
        if v >= 0 && v < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(v))
        } else {
            raw(String(v))
        }
    }

    /// A JSON string literal (RFC 8259 §7): quotes, backslashes and control characters escaped.
    mutating func string(_ s: String) {
        var s = s
        bytes.append(UInt8(ascii: "\""))
        s.withUTF8 { u in
            var start = 0
            for (i, c) in u.enumerated() where c < 0x20 || c == 0x22 || c == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[start..<i]))
                start = i + 1
                switch c {
                case 0x22: raw("\\\"")
                case 0x5C: raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    raw("\\u00")
                    bytes.append(hex[Int(c >> 4)])
                    bytes.append(hex[Int(c & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func strings(_ list: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (i, s) in list.enumerated() {
            if i > 0 { raw(", ") }
            string(s)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
