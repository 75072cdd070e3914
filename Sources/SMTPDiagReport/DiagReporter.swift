import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// The console of the classic `diag` command, in SMTPDiag's sequence and wording: white for actions,
/// gray for information, green for passes, red for failures.
public struct DiagReporter: Sendable {
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    var localDomain: String { String(from.split(separator: "@").last ?? "") }
    var remoteDomain: String { String(to.split(separator: "@").last ?? "") }

    public func render(_ report: RunReport, options: ReportOptions) -> String {
        /// Every line goes through here, made safe first: messages and transcripts carry server bytes.
        func paint(_ text: String, _ code: String) -> String {
            let safe = terminalSafe(text)
            return options.color ? "\u{1B}[\(code)m\(safe)\u{1B}[0m" : safe
        }
        func action(_ s: String) -> String { paint(s, "97") }
        func info(_ s: String) -> String { paint(s, "90") }
        func pass(_ s: String) -> String { paint(s, "32") }
        func fail(_ s: String) -> String { paint(s, "31") }
        let results = report.results
        /// The results of one expectation (of one side of the route), read from their ids' parts.
        func with(_ side: CheckID.Side?, _ expectation: String) -> [CheckResult] {
            results.filter { $0.id.side == side && $0.id.expectation == expectation }
        }
        func transport(_ r: CheckResult) -> String { r.id.transport == .tcp ? "TCP" : "UDP" }
        var out: [String] = []

        // SOA of the remote domain at each server, over TCP and UDP.
        out.append(action("Checking SOA for \(remoteDomain)."))
        for r in with(.remote, "soa") {
            let at = r.id.server?.description ?? ""
            switch r.status {
            case .pass:
                out.append(
                    info(
                        "Checking SOA using \(transport(r)) at \(at): \(r.message.replacingOccurrences(of: "SOA serial", with: "serial number"))."
                    ))
            default:
                out.append(fail("Checking SOA using \(transport(r)) at \(at) failed: \(r.message)."))
            }
        }
        for r in with(.remote, "soa.consistent") {
            switch r.status {
            case .pass: out.append(pass("SOA serial number match: Passed."))
            // The serials were compared and differ: the message says so in SMTPDiag's words.
            case .fail: out.append(fail(r.message + "."))
            default: out.append(fail("SOA serial number match: Failed. \(r.message)"))
            }
        }
        out.append("")

        func domainRecords(_ side: CheckID.Side, _ domain: String, _ reasons: [String]) {
            out.append(action("Checking \(side.rawValue) domain records."))
            let checks = with(side, "mx") + with(side, "mx_resolves")
            // Only what was asked: a lookup skipped because an earlier one failed was never sent.
            for r in checks.sorted(by: { $0.id < $1.id }) where r.status != .skip {
                let kind = r.id.expectation == "mx_resolves" ? "A records of the MX hosts" : "MX records"
                let line = "Checking \(kind) using \(transport(r)): \(domain). \(r.message)"
                out.append(r.status == .pass ? info(line) : fail(line))
            }
            let ok = checks.allSatisfy { $0.status == .pass }
            let name = side == .local ? "Local" : "Remote"
            if ok {
                out.append(pass("Both TCP and UDP queries succeeded. \(name) DNS test passed."))
            } else {
                out.append(fail("\(name) DNS test failed. This test can fail for three reasons:"))
                for (i, reason) in reasons.enumerated() { out.append(info("  \(i + 1)) \(reason)")) }
                if side == .local { out.append(info("This does not by itself fail the route.")) }
            }
            out.append("")
        }
        domainRecords(
            .local, localDomain,
            [
                "the local domain \(localDomain) is not set up in DNS (no MX record);",
                "an MX host of \(localDomain) has no A or AAAA record;",
                "the internal DNS server is unaware of the external DNS (a valid topology: mail still routes).",
            ])
        domainRecords(
            .remote, remoteDomain,
            [
                "the remote domain \(remoteDomain) has no MX record, or it does not exist;",
                "an MX host of \(remoteDomain) has no A or AAAA record;",
                "the DNS server cannot be reached or does not answer for \(remoteDomain) (firewall, timeout, SERVFAIL).",
            ])

        // Every MX address: the dialogue.
        out.append(action("Checking MX servers listed for \(to)."))
        for r in with(nil, "smtp.hosts") where r.status != .pass {
            out.append(fail("Cannot find the MX hosts of \(remoteDomain): \(r.message)"))
        }
        let sessions = with(nil, "smtp")
        var hosts: [Endpoint] = []
        for r in sessions {
            if let host = r.id.server, !hosts.contains(host) { hosts.append(host) }
        }
        for host in hosts {
            let steps = sessions.filter { $0.id.server == host }
            let name = host.name ?? host.address ?? ""
            guard let address = host.address else {
                // No address: either the MX lookup failed (said above) or this exchange's address could not be
                // learned. Nothing was connected to; say only what happened.
                if let e = steps.first(where: { $0.status == .error }) {
                    out.append(fail("Cannot find the address of \(name): \(e.message)"))
                }
                continue
            }
            out.append(action("Connecting to \(name) [\(address)] on port \(host.port ?? 25)."))
            if options.verbose, let transcript = steps.first?.evidence.smtp {
                for line in transcript.dropFirst() where !line.hasPrefix("Info:") { out.append(info(line)) }
            }
            let bad = steps.filter { $0.status != .pass && $0.status != .skip }
            let banner = steps.first { $0.id.step == "banner" }
            if bad.isEmpty, banner?.status == .pass {
                out.append(pass("Successfully connected to \(name)."))
            } else {
                for b in bad {
                    out.append(fail("Failed to submit mail to \(name) (\(b.id.step ?? "")): \(b.message)"))
                }
                if bad.isEmpty { out.append(info("\(name) was not checked: \(banner?.message ?? "no banner step")")) }
            }
        }
        out.append("")
        out.append(
            "\(results.count) checks: \(report.count(.pass)) pass, \(report.count(.fail)) fail, \(report.count(.error)) error, "
                + "\(report.count(.skip)) skip"
                + (results.contains { $0.advisory && $0.status != .pass } ? " (local-domain results are advisory)" : "")
        )
        return out.joined(separator: "\n") + "\n"
    }
}
