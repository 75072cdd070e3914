import ArgumentParser
import Foundation
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagFamilies
import SMTPDiagMailAuth
import SMTPDiagSpec

extension SMTPDiagSpecCommand {
    /// One SPF question: check_host (RFC 7208) for one client, sender and HELO name, every query to one server.
    struct SPF: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate SPF (check_host) for one client IP and sender, asking one DNS server.",
            discussion: """
                Prints the result (pass, fail, softfail, neutral, none, permerror, temperror), the explanation, \
                the counts of DNS-querying terms and void lookups, and the evaluation's trace. Exits 0 whatever \
                the result; 2 for a usage error.
                """)

        @Argument(help: "The client's IP address (IPv4 or IPv6).")
        var ip: String

        @Argument(help: "The MAIL FROM address; \"\" for the null sender (then postmaster@HELO).")
        var sender: String

        @Option(help: "The HELO/EHLO name (default: the sender's domain).")
        var helo: String?

        @Option(name: [.customShort("d"), .long], help: "The DNS server: ADDRESS, ADDRESS:PORT or [IPv6]:PORT.")
        var dnsServer: String

        @Option(help: "human or json.")
        var format: Format = .human

        @Option(help: "Seconds to wait for each DNS attempt, at most 60.")
        var timeout: Double = 2

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case human, json
        }

        func validate() throws {
            guard SPFAddress(ip) != nil else { throw ValidationError("\(terminalSafe(ip)) is not an IP address") }
            do { _ = try DNSServerAddress(parsing: dnsServer) } catch { throw ValidationError("\(error)") }
            guard sender.utf8.count <= 320, sender.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }),
                sender.filter({ $0 == "@" }).count <= 1
            else { throw ValidationError("the sender must be an address (local@domain), a domain or \"\"") }
            if sender.isEmpty && helo == nil { throw ValidationError("a null sender needs --helo") }
            if let helo,
                helo.isEmpty || helo.utf8.count > 253
                    || !helo.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) })
            {
                throw ValidationError("--helo takes a domain name")
            }
            guard timeout.isFinite, timeout > 0, timeout <= 60 else {
                throw ValidationError("--timeout takes seconds, more than 0 and at most 60; got \(timeout)")
            }
        }

        /// Every question to one server: UDP, again over TCP when truncated.
        struct Resolver: SPFResolver {
            let client: DNSClient
            let server: DNSServerAddress
            let options: DNSQueryOptions

            func lookup(_ name: DomainName, _ type: RecordType) async -> SPFLookup {
                var answer = await ask(name, type, .udp)
                if case .success(let r) = answer, r.isTruncated { answer = await ask(name, type, .tcp) }
                return SPFFamily.lookup(answer, name, type)
            }

            func ask(_ name: DomainName, _ type: RecordType, _ t: DNSTransport) async -> Result<
                DNSResponse, DNSClientError
            > {
                do {
                    return .success(try await client.query(name, type, server: server, transport: t, options: options))
                } catch {
                    return .failure(error)
                }
            }
        }

        func run() async throws {
            guard let client = SPFAddress(ip) else { throw ExitCode(2) }
            let server = try DNSServerAddress(parsing: dnsServer)
            let dns = DNSClient()
            let helo = self.helo ?? Self.domain(of: sender)
            // The domain check_host starts at: the sender's, or the HELO name's for a null sender (RFC 7208 2.4).
            let domain = sender.isEmpty ? helo : Self.domain(of: sender)
            let evaluator = SPFEvaluator(
                resolver: Resolver(
                    client: dns, server: server,
                    options: DNSQueryOptions(timeout: .milliseconds(Int(timeout * 1000)), retries: 1)))
            let e = await evaluator.checkHost(client: client, domain: domain, sender: sender, helo: helo)
            await dns.shutdown()
            switch format {
            case .human:
                var lines = ["result: \(e.result)", "reason: \(e.reason)"]
                if let x = e.explanation { lines.append("explanation: \(x)") }
                lines.append("lookups: \(e.lookups) (limit 10)")
                lines.append("void lookups: \(e.voidLookups) (limit 2)")
                lines.append("trace:")
                lines += e.trace.map { "  " + $0 }
                OutputSink.standardOutput.write(lines.map(terminalSafe).joined(separator: "\n") + "\n")
            case .json:
                let doc: [String: Any] = [
                    "result": e.result.rawValue, "reason": e.reason, "explanation": e.explanation ?? NSNull(),
                    "lookups": e.lookups, "void_lookups": e.voidLookups, "trace": e.trace,
                ]
                let data = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])
                OutputSink.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
            }
        }

        static func domain(of sender: String) -> String {
            guard let at = sender.lastIndex(of: "@") else { return sender }
            return String(sender[sender.index(after: at)...])
        }
    }
}
