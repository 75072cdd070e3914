import ArgumentParser
import Foundation
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagReport
import SMTPDiagSMTP
import SMTPDiagSMTPWire
import SMTPDiagSpec

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

        /// The spec of what was seen, written by the spec module's writer (which the loader reads back).
        func render(
            zone: DomainName, server: DNSServerAddress, soa: SOA, ns: [DomainName], mx: [MX], txt: [String],
            dmarc: [String],
            tlsa: [(DomainName, [String])], addresses: [(DomainName, [String])], truncated: Bool,
            sessions: [(String, SMTPSessionRecord)]
        ) -> String {
            let name = String(zone.description.dropLast())
            let date = ISO8601DateFormatter().string(from: Date()).prefix(10)
            var w = SpecWriter()
            // The schema of the repository this runs in, when there is one here (`smtpdiag-spec schema` prints it).
            let schema = FileManager.default.currentDirectoryPath + "/schema/smtpdiag-spec.schema.json"
            if FileManager.default.fileExists(atPath: schema) { w.schema = relative(schema) }
            w.header = [
                "Written by `smtpdiag-spec init \(name)\(dns.map { " -d \($0)" } ?? "")\(smtp ? " --smtp" : "")` on \(date).",
                "It pins what \(server) said that day, so it passes now. Edit what may change: widen the serial,",
                "use `contains:` instead of `equals:` for TXT, add servers (`authoritative` checks every NS).",
            ]
            w.servers = [(name: "asked", address: server.description, note: "the server init asked")]
            var d = SpecWriter.Domain(
                name: zone, server: "asked", mname: soa.mname, rname: soa.rname, serial: soa.serial)
            d.tcpOnly = truncated
            d.ns = ns
            d.mx = mx.map(\.description)
            d.unresolvedMX = addresses.filter { $0.1.isEmpty }.map(\.0.description)
            d.txt = txt
            d.dmarc = dmarc
            d.tlsa = tlsa.map { (owner: $0.0, values: $0.1) }
            if smtp {
                if sessions.isEmpty {
                    d.smtpNote = "--smtp: no MX host with an address to talk to."
                } else {
                    d.smtp = smtpExpectations(sessions)
                }
            }
            w.domains = [d]
            return w.yaml()
        }

        /// What every MX host said, as expectations: a code is pinned only when every session got one.
        func smtpExpectations(_ sessions: [(String, SMTPSessionRecord)]) -> SpecWriter.SMTP {
            func codes(_ f: (SMTPSessionRecord) -> SMTPReply?) -> [Int] {
                guard sessions.allSatisfy({ f($0.1) != nil }) else { return [] }
                return Array(Set(sessions.compactMap { f($0.1)?.code })).sorted()
            }
            var s = SpecWriter.SMTP(
                helo: heloName, tlsCAFile: tlsCaFile.map { relative(URL(fileURLWithPath: $0).path) })
            // What init saw is what the spec expects: a handshake that failed is not pinned as working.
            let tlsFailed = sessions.filter { if case .tlsFailed = $0.1.failure { return true } else { return false } }
            s.starttlsOff = !tlsFailed.isEmpty
            s.notes = sessions.compactMap { host, r in r.failure.map { "\(host): \($0)" } }
            s.banner = codes { $0.banner }
            s.ehlo = codes { $0.ehlo }
            // As the run judges them: STARTTLS on the first EHLO, the others on the one that holds (inside TLS).
            func keywords(_ r: SMTPSessionRecord) -> Set<String> {
                var k = Set(tlsFailed.isEmpty ? r.extensions : r.extensionsBeforeTLS)
                k.remove("STARTTLS")
                if r.extensionsBeforeTLS.contains("STARTTLS") { k.insert("STARTTLS") }
                return k
            }
            var everywhere = sessions.first.map { keywords($0.1) } ?? []
            for (_, r) in sessions.dropFirst() { everywhere.formIntersection(keywords(r)) }
            s.extensions = ["STARTTLS", "PIPELINING", "8BITMIME", "SMTPUTF8"].filter(everywhere.contains)
            if tlsFailed.isEmpty { s.starttls = codes { $0.starttls } }
            s.mailFrom = codes { $0.mailFrom }
            s.postmaster = codes { $0.rcpt.first?.reply }
            s.quit = codes { $0.quit }
            return s
        }
    }
}
