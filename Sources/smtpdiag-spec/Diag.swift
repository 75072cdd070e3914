import ArgumentParser
import Foundation
import SMTPDiagDNS
import SMTPDiagFamilies
import SMTPDiagPlan
import SMTPDiagReport
import SMTPDiagRunner
import SMTPDiagSpec

extension SMTPDiagSpecCommand {
    /// The classic SMTPDiag run, compiled as a one-route spec.
    struct Diag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The classic SMTPDiag check of one sender and one recipient: SOA, MX and A, then every MX.",
            discussion: """
                As SMTPDiag: `-d` is the DNS server for the remote (recipient's) domain; --internal-dns names the \
                server for the local (sender's) domain. Local-domain failures are reported but do not fail the run. \
                `/v` and `/?` are accepted as -v and --help.
                """)

        @Argument(help: "The sender's address (its domain is the local domain).")
        var sender: String

        @Argument(help: "The recipient's address (its domain is the remote domain).")
        var recipient: String

        @Option(
            name: .customShort("d"),
            help:
                "DNS server for the remote domain: ADDRESS or ADDRESS:PORT (repeatable). Default: the system resolvers."
        )
        var dns: [String] = []

        @Option(
            name: .customLong("internal-dns"), help: "DNS server for the local domain. Default: the system resolvers.")
        var internalDNS: [String] = []

        @Option(help: "The HELO name. Default: this host's name.")
        var helo: String?

        @OptionGroup var run: RunOptionsGroup

        func validate() throws {
            for address in [sender, recipient] {
                let parts = address.split(separator: "@", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                    !address.unicodeScalars.contains(where: { $0.value < 0x21 || $0 == "<" || $0 == ">" })
                else { throw ValidationError("\(address) is not an email address") }
            }
            for d in dns + internalDNS where (try? DNSServerAddress(parsing: d)) == nil {
                throw ValidationError("\(d) is not an IP address with an optional port")
            }
        }

        func run() async throws {
            let here = SourceLocation(file: "diag", line: 1, column: 1)
            var servers: [ServerDefinition] = []
            func define(_ list: [String], _ base: String) -> [Located<String>]? {
                guard !list.isEmpty else { return nil }
                return list.enumerated().compactMap { i, text in
                    guard let a = try? DNSServerAddress(parsing: text) else { return nil }
                    let name = list.count == 1 ? base : "\(base)\(i + 1)"
                    servers.append(ServerDefinition(name: name, host: a.host, port: a.port, location: here))
                    return Located(name, here)
                }
            }
            let remote = define(dns, "external")
            let local = define(internalDNS, "internal")
            var smtp = SMTPSettings()
            smtp.helo = helo
            smtp.starttls = .off  // SMTPDiag's dialogue: EHLO, MAIL FROM, RCPT TO, QUIT.
            var dnsSettings = DNSSettings()
            dnsSettings.servers = [Located("system", here)]
            let route = RouteSpec(
                from: sender, to: recipient, location: here, localServers: local, remoteServers: remote)
            let file = SpecFile(
                path: "diag", servers: servers, defaultDNS: dnsSettings, defaultSMTP: smtp,
                families: [
                    FamilyEntry(
                        key: RoutesFamily.key, value: RoutesFamily.Expectation(routes: [route]), location: here,
                        keyLocation: here)
                ])
            let compiled = PlanCompiler(families: Families.builtin.plan).compile([file])
            try exitOnDiagnostics(compiled.diagnostics)
            // Say which resolvers the lookups that name no server go to, before asking them.
            if dns.isEmpty || internalDNS.isEmpty {
                let which = [dns.isEmpty ? "remote" : nil, internalDNS.isEmpty ? "local" : nil].compactMap { $0 }
                let resolvers = run.systemResolvers.map(\.description)
                OutputSink.standardOutput.write(
                    "The \(which.joined(separator: " and ")) domain lookups use the system resolvers: "
                        + (resolvers.isEmpty ? "none found in /etc/resolv.conf" : resolvers.joined(separator: ", "))
                        + ".\n")
            }
            let reporter = DiagReporter(from: sender, to: recipient)
            let code = await run.execute(plan: compiled.plan, files: []) { report, color in
                reporter.render(report, options: ReportOptions(color: color, verbose: run.verbose))
            }
            throw ExitCode(code)
        }
    }
}
