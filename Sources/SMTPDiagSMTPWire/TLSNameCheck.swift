/// Whether a certificate names the host it was reached as (RFC 9525 §6.3, RFC 7672 §3.2.3 for MX hosts).
///
/// Only DNS-ID subject alternative names count: no fallback to the subject's common name, and an
/// IP-address SAN never stands for a host name (a TLS library that matches it against the connected
/// address would accept a certificate for another host). A wildcard is the whole left-most label
/// (`*.example.test`) and covers exactly one label; partial wildcards (`f*.example.test`), wildcards
/// elsewhere and wildcards over a public-looking single label (`*.test`) match nothing.
public enum TLSNameCheck {
    /// Nil when one DNS-ID of `subjectAlternativeNames` (as `TLSInfo` lists them, `DNS:name`) matches
    /// `host`; otherwise why not, in words.
    public static func problem(host: String, subjectAlternativeNames: [String]) -> String? {
        let dnsNames = subjectAlternativeNames.compactMap { $0.hasPrefix("DNS:") ? String($0.dropFirst(4)) : nil }
        if dnsNames.contains(where: { matches(host: host, pattern: $0) }) { return nil }
        let listed = subjectAlternativeNames.isEmpty ? "none" : subjectAlternativeNames.joined(separator: ", ")
        if dnsNames.isEmpty {
            return "the certificate has no DNS name to match \(host) (its subject alternative names: \(listed))"
        }
        return "the certificate does not name \(host): its subject alternative names are \(listed)"
    }

    /// RFC 9525 §6.3 matching of one reference identifier against one DNS-ID, ASCII case-insensitive.
    public static func matches(host: String, pattern: String) -> Bool {
        let h = normalise(host)
        let p = normalise(pattern)
        guard !h.isEmpty, !p.isEmpty else { return false }
        let hostLabels = h.split(separator: ".", omittingEmptySubsequences: false)
        let patternLabels = p.split(separator: ".", omittingEmptySubsequences: false)
        guard hostLabels.count == patternLabels.count, !hostLabels.contains(where: \.isEmpty),
            !patternLabels.contains(where: \.isEmpty)
        else { return false }
        for (i, (hl, pl)) in zip(hostLabels, patternLabels).enumerated() {
            if pl == "*" {
                // Only the left-most label, and not over a single remaining label.
                guard i == 0, patternLabels.count >= 3 else { return false }
                continue
            }
            if pl.contains("*") || hl != pl { return false }
        }
        return true
    }

    private static func normalise(_ name: String) -> String {
        var s = name
        if s.hasSuffix(".") { s.removeLast() }
        return String(
            s.utf8.map {
                (0x41...0x5A).contains($0) ? Character(UnicodeScalar($0 + 0x20)) : Character(UnicodeScalar($0))
            })
    }
}
