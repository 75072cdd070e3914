import ArgumentParser
import Foundation
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagReport
import SMTPDiagSMTP
import SMTPDiagSMTPWire

extension SMTPDiagSpecCommand {
    /// Writes a spec that pins what the DNS (and the MX hosts) say today.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a spec that pins what the DNS says about a domain today (and its MX hosts with --smtp).")

        @Argument(help: "The domain, e.g. example.com.")
        var domain: String

        @Option(
            name: .customShort("d"),
            help: "The DNS server to ask: ADDRESS or ADDRESS:PORT. Default: the system resolvers.")
        var dns: String?

        @Flag(help: "Also talk to every MX host and pin the SMTP reply codes seen.")
        var smtp = false

        @Option(help: "With --smtp: a CA file (PEM) to verify the MX certificates with; the spec refers to it.")
        var tlsCaFile: String?

        @Option(help: "With --smtp: the HELO name, written into the spec too. Default: this host's name.")
        var helo: String?

        @Option(
            name: [.customShort("o"), .long],
            help: ArgumentHelp(
                "Write the spec to this file (paths in it are then relative to its folder). Default: standard output, "
                    + "with paths relative to the current folder."))
        var output: String?

        func validate() throws {
            guard (try? DomainName(parsing: domain)) != nil else {
                throw ValidationError("\(domain) is not a domain name")
            }
            if let dns, (try? DNSServerAddress(parsing: dns)) == nil {
                throw ValidationError("\(dns) is not an IP address")
            }
        }

        func run() async throws {
            let zone = try DomainName(parsing: domain.hasSuffix(".") ? domain : domain + ".")
            let server: DNSServerAddress
            if let dns {
                server = try DNSServerAddress(parsing: dns)
            } else if let first = SystemResolvers.load().first {
                server = first
            } else {
                throw ValidationError("no -d given and no resolver in /etc/resolv.conf")
            }
            let client = DNSClient()
            var truncated = false
            func ask(_ name: DomainName, _ type: RecordType) async -> [RData] {
                do {
                    var r = try await client.query(
                        name, type, server: server, transport: .udp,
                        options: DNSQueryOptions(recursionDesired: dns == nil))
                    if r.isTruncated {
                        truncated = true
                        r = try await client.query(
                            name, type, server: server, transport: .tcp,
                            options: DNSQueryOptions(recursionDesired: dns == nil))
                    }
                    var owner = name
                    for rr in r.message.answers where rr.type == .cname && rr.name == owner {
                        if case .cname(let c) = rr.rdata { owner = c.target }
                    }
                    return r.message.answers.filter { $0.type == type && $0.name == owner }.map(\.rdata)
                } catch {
                    printError("init: \(name) \(type): \(error)\n")
                    return []
                }
            }
            let soa = await ask(zone, .soa).compactMap { if case .soa(let s) = $0 { return s } else { return nil } }
                .first
            guard let soa else {
                await client.shutdown()
                printError("init: \(server) gives no SOA for \(zone); is it authoritative for it?\n")
                throw ExitCode(3)
            }
            let ns = await ask(zone, .ns).compactMap {
                if case .ns(let n) = $0 { return n.nsdname } else { return nil }
            }.sorted()
            let mx = await ask(zone, .mx).compactMap { if case .mx(let m) = $0 { return m } else { return nil } }
                .sorted { ($0.preference, $0.exchange) < ($1.preference, $1.exchange) }
            let txt = await ask(zone, .txt).compactMap {
                if case .txt(let t) = $0 { return t.joined } else { return nil }
            }.sorted()
            let dmarcName = try DomainName(parsing: "_dmarc", origin: zone)
            let dmarc = await ask(dmarcName, .txt).compactMap {
                if case .txt(let t) = $0 { return t.joined } else { return nil }
            }
            var tlsa: [(DomainName, [String])] = []
            var addresses: [(DomainName, [String])] = []
            for x in mx where !x.isNullMX {
                let name = try DomainName(parsing: "_25._tcp", origin: x.exchange)
                let values = await ask(name, .tlsa).map(\.description)
                if !values.isEmpty { tlsa.append((name, values)) }
                let a = await ask(x.exchange, .a).map(\.description) + (await ask(x.exchange, .aaaa)).map(\.description)
                addresses.append((x.exchange, a))
            }
            await client.shutdown()

            var sessions: [(String, SMTPSessionRecord)] = []
            if smtp {
                let smtpClient = SMTPClient()
                let configuration = SMTPSessionConfiguration(
                    helo: heloName, mailFrom: "",
                    recipients: ["postmaster@\(zone.description.dropLast())"],
                    starttls: .optional, connectTimeout: .seconds(10), bannerTimeout: .seconds(30),
                    commandTimeout: .seconds(30))
                for (name, list) in addresses {
                    for a in list {
                        let r = await smtpClient.session(
                            address: a, port: 25, serverName: String(name.description.dropLast()),
                            configuration: configuration,
                            tls: SMTPTLSSettings(
                                verify: tlsCaFile != nil, caFile: tlsCaFile.map { URL(fileURLWithPath: $0).path }))
                        sessions.append(("\(name)[\(a)]", r))
                    }
                }
            }
            let spec = render(
                zone: zone, server: server, soa: soa, ns: ns, mx: mx, txt: txt, dmarc: dmarc, tlsa: tlsa,
                addresses: addresses, truncated: truncated, sessions: sessions)
            if let output {
                do {
                    try spec.write(toFile: output, atomically: true, encoding: .utf8)
                } catch {
                    printError("init: cannot write \(output): \(error.localizedDescription)")
                    throw ExitCode(3)
                }
            } else {
                print(spec, terminator: "")
            }
        }

        /// A YAML string of text from the DNS. `${` is written `$${`, so that the spec reads it as text, never as
        /// a variable (which would fail the spec, or read a secret).
        static func quote(_ s: String) -> String {
            yamlDoubleQuoted(s).replacingOccurrences(of: "${", with: "$${")
        }

        /// A line of YAML comment holding text from a server: escaped, so it cannot end the comment.
        static func comment(_ s: String) -> String { terminalSafe(s) }

        var heloName: String { helo ?? ProcessInfo.processInfo.hostName }

        /// The folder the spec's relative paths start from: the output file's, or the current one.
        var specFolder: URL {
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            guard let output else { return cwd.standardizedFileURL }
            return URL(fileURLWithPath: output, relativeTo: cwd).deletingLastPathComponent().standardizedFileURL
        }

        /// `path` relative to the spec's folder (`../lab/run/tls/ca.pem`), as the spec reads it.
        func relative(_ path: String) -> String {
            let target = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
            let base = specFolder.pathComponents
            var common = 0
            while common < min(target.count, base.count) && target[common] == base[common] { common += 1 }
            let up = Array(repeating: "..", count: base.count - common)
            let rest = Array(target[common...])
            let joined = (up + rest).joined(separator: "/")
            return joined.isEmpty ? "." : joined
        }

        func render(
            zone: DomainName, server: DNSServerAddress, soa: SOA, ns: [DomainName], mx: [MX], txt: [String],
            dmarc: [String],
            tlsa: [(DomainName, [String])], addresses: [(DomainName, [String])], truncated: Bool,
            sessions: [(String, SMTPSessionRecord)]
        ) -> String {
            let name = String(zone.description.dropLast())
            let date = ISO8601DateFormatter().string(from: Date()).prefix(10)
            var y: [String] = []
            // The schema of the repository this runs in, when there is one here (`smtpdiag-spec schema` prints it).
            let schema = FileManager.default.currentDirectoryPath + "/schema/smtpdiag-spec.schema.json"
            if FileManager.default.fileExists(atPath: schema) {
                y.append("# yaml-language-server: $schema=\(relative(schema))")
            }
            y.append(
                "# Written by `smtpdiag-spec init \(name)\(dns.map { " -d \($0)" } ?? "")\(smtp ? " --smtp" : "")` on \(date)."
            )
            y.append(
                "# It pins what \(server) said that day, so it passes now. Edit what may change: widen the serial,")
            y.append("# use `contains:` instead of `equals:` for TXT, add servers (`authoritative` checks every NS).")
            y.append("version: 1")
            y.append("dns_servers:")
            y.append("  asked: \(Self.quote(server.description))   # the server init asked")
            y.append("domains:")
            y.append("  \(name):")
            if truncated {
                y.append("    # A UDP answer was truncated (over 1232 octets): TCP only, or the UDP checks error.")
                y.append("    dns: { servers: [asked], transports: [tcp] }")
            } else {
                y.append("    dns: { servers: [asked], transports: [udp, tcp] }")
            }
            y.append("    soa:")
            y.append("      mname: \(Self.quote(soa.mname.description))")
            y.append("      rname: \(Self.quote(soa.rname.description))")
            y.append("      serial: { min: \(soa.serial) }   # today's serial; it only grows")
            if !ns.isEmpty {
                y.append("    ns: [" + ns.map { Self.quote($0.description) }.joined(separator: ", ") + "]")
            }
            if !mx.isEmpty {
                y.append("    mx: [" + mx.map { Self.quote($0.description) }.joined(separator: ", ") + "]")
                let unresolved = addresses.filter { $0.1.isEmpty }.map(\.0.description)
                if !unresolved.isEmpty {
                    y.append(
                        "    mx_resolves: false   # today \(Self.comment(unresolved.joined(separator: ", "))) has no address: "
                            + "fix it, then set true"
                    )
                }
            } else {
                y.append("    # No MX record: mail goes to the domain's own address (RFC 5321 §5.1). Pin it with:")
                y.append("    # mx: { absent: true }")
            }
            var records: [String] = []
            if !txt.isEmpty {
                records.append(
                    "      - { name: \"@\", type: TXT, equals: [" + txt.map(Self.quote).joined(separator: ", ") + "] }")
            }
            if !dmarc.isEmpty {
                records.append(
                    "      - { name: _dmarc, type: TXT, equals: [" + dmarc.map(Self.quote).joined(separator: ", ")
                        + "] }")
            }
            for (n, values) in tlsa {
                records.append(
                    "      - { name: \(Self.quote(n.description)), type: TLSA, equals: ["
                        + values.map(Self.quote).joined(separator: ", ")
                        + "] }")
            }
            if !records.isEmpty {
                y.append("    records:")
                y += records
            }
            if smtp {
                if sessions.isEmpty {
                    y.append("    # --smtp: no MX host with an address to talk to.")
                } else {
                    y += renderSMTP(sessions)
                }
            }
            return y.joined(separator: "\n") + "\n"
        }

        func renderSMTP(_ sessions: [(String, SMTPSessionRecord)]) -> [String] {
            func codes(_ f: (SMTPSessionRecord) -> SMTPReply?) -> String? {
                let seen = Array(Set(sessions.compactMap { f($0.1)?.code })).sorted()
                guard !seen.isEmpty, sessions.allSatisfy({ f($0.1) != nil }) else { return nil }
                return seen.count == 1 ? "\(seen[0])" : "[" + seen.map(String.init).joined(separator: ", ") + "]"
            }
            var y = ["    smtp:", "      hosts: mx", "      helo: \(Self.quote(heloName))   # as init greeted"]
            if let ca = tlsCaFile {
                y.append("      tls_ca_file: \(Self.quote(relative(URL(fileURLWithPath: ca).path)))")
            } else {
                y.append("      tls_verify: false   # no CA given to init; set tls_ca_file or trust the system roots")
            }
            // What init saw is what the spec expects: a handshake that failed is not pinned as working.
            let tlsFailed = sessions.filter { if case .tlsFailed = $0.1.failure { return true } else { return false } }
            if !tlsFailed.isEmpty {
                y.append(
                    "      starttls: off   # the TLS handshake failed at init (below); fix it, then remove this line")
            }
            let failures = sessions.filter { $0.1.failure != nil }
            for (host, r) in failures {
                y.append("      # \(Self.comment(host)): \(Self.comment(r.failure.map { "\($0)" } ?? ""))")
            }
            y.append("      expect:")
            if let b = codes({ $0.banner }) { y.append("        banner: \(b)") }
            if let e = codes({ $0.ehlo }) { y.append("        ehlo: \(e)") }
            // As the run judges them: STARTTLS on the first EHLO, the others on the one that holds (inside TLS).
            func keywords(_ r: SMTPSessionRecord) -> Set<String> {
                var k = Set(tlsFailed.isEmpty ? r.extensions : r.extensionsBeforeTLS)
                k.remove("STARTTLS")
                if r.extensionsBeforeTLS.contains("STARTTLS") { k.insert("STARTTLS") }
                return k
            }
            var everywhere = sessions.first.map { keywords($0.1) } ?? []
            for (_, r) in sessions.dropFirst() { everywhere.formIntersection(keywords(r)) }
            let pinned = ["STARTTLS", "PIPELINING", "8BITMIME", "SMTPUTF8"].filter(everywhere.contains)
            if !pinned.isEmpty { y.append("        extensions: [" + pinned.joined(separator: ", ") + "]") }
            if tlsFailed.isEmpty, let s = codes({ $0.starttls }) { y.append("        starttls: \(s)") }
            if let m = codes({ $0.mailFrom }) { y.append("        mail_from: \(m)") }
            if let p = codes({ $0.rcpt.first?.reply }) {
                y.append("        rcpt:")
                y.append("          postmaster: \(p)   # RFC 5321 §4.5.1: every domain must accept postmaster")
            }
            if let q = codes({ $0.quit }) { y.append("        quit: \(q)") }
            return y
        }
    }
}
