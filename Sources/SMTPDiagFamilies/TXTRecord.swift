import SMTPDiagDNSWire
import SMTPDiagRunner

/// The one mail-authentication record among the TXT records at a name (DMARC, RFC 7489 6.6.3; DKIM, RFC 6376
/// 3.6.2.2; TLS-RPT, RFC 8460 3): each record's strings joined, the records of the kind picked out, and
/// none or several said as a failure.
enum TXTRecord {
    /// The record, or why there is not exactly one.
    enum Single {
        case record(String)
        case problem(Matchers.Verdict)
    }

    /// Each TXT record's strings, joined with nothing between them.
    static func texts(_ records: [ResourceRecord]) -> [String] {
        records.compactMap { r -> String? in
            if case .txt(let t) = r.rdata { return t.joined }
            return nil
        }
    }

    /// The record of the kind, or the verdict when there is none (`no KIND at NAME`) or several (`N KINDs at
    /// NAME: CONSEQUENCE`).
    static func single(
        _ texts: [String], where isRecord: (String) -> Bool, kind: String, at name: DomainName, several: String,
        expected: String
    ) -> Single {
        let found = texts.filter(isRecord)
        guard !found.isEmpty else {
            return .problem(
                Matchers.Verdict(pass: false, message: "no \(kind) at \(name)", expected: expected, actual: "none"))
        }
        guard found.count == 1 else {
            return .problem(
                Matchers.Verdict(
                    pass: false, message: "\(found.count) \(kind)s at \(name): \(several)", expected: expected,
                    actual: found.joined(separator: " | ")))
        }
        return .record(found[0])
    }
}
