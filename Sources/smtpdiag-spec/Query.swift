import ArgumentParser
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagReport
import SMTPDiagSpec
import SMTPDiagZone

extension SMTPDiagSpecCommand {
    /// One DNS question to one server (or to zone files, answered in process), printed as dig prints it.
    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask one DNS server (or zone files) one question over UDP or TCP and print the answer.")

        @Argument(help: "The name to ask about, e.g. example.test.")
        var name: String

        @Argument(help: "The record type (A, MX, SOA, TXT, TYPE65280...).")
        var type: String = "A"

        @Option(name: [.customShort("s"), .long], help: "The server: ADDRESS, ADDRESS:PORT or [IPv6]:PORT.")
        var server: String?

        @Option(
            help: ArgumentHelp(
                "Answer from master files instead of a server: a folder of *.zone files or one file.",
                valueName: "DIR"))
        var zones: String?

        @Flag(help: "Use TCP instead of UDP.")
        var tcp = false

        @Flag(help: "Send a plain query without EDNS(0).")
        var noEdns = false

        @Option(help: "Seconds to wait for each attempt, at most 86400. (default: 2)")
        var timeout: Double = 2

        @Option(help: "UDP retransmissions (0 to 10).")
        var retries: Int = 1

        func validate() throws {
            guard RecordType(type) != nil else { throw ValidationError("unknown record type \(type)") }
            switch (server, zones) {
            case (let server?, nil):
                do { _ = try DNSServerAddress(parsing: server) } catch { throw ValidationError("\(error)") }
            case (nil, _?): break
            default: throw ValidationError("give a server (-s) or zone files (--zones), one of them")
            }
            do { _ = try DomainName(parsing: name) } catch { throw ValidationError("\(error)") }
            guard timeout.isFinite, timeout > 0, timeout <= 86_400 else {
                throw ValidationError("--timeout takes seconds, more than 0 and at most 86400 (24h); got \(timeout)")
            }
            guard (0...10).contains(retries) else { throw ValidationError("--retries takes 0 to 10; got \(retries)") }
        }

        func run() async throws {
            if let zones { return try answerFromZones(zones) }
            let client = DNSClient()
            let server = try DNSServerAddress(parsing: server ?? "")
            var options = DNSQueryOptions(timeout: .milliseconds(Int(timeout * 1000)), retries: retries)
            if noEdns { options.edns = nil }
            guard let type = RecordType(type) else { return }
            let name = try DomainName(parsing: name.hasSuffix(".") ? name : name + ".")
            do {
                let r = try await client.query(
                    name, type, server: server, transport: tcp ? .tcp : .udp, options: options)
                // Presentation format escapes what it shows; each line is made safe all the same (a record type
                // the codec does not know, an error's text).
                print(
                    render(r).split(separator: "\n", omittingEmptySubsequences: false).map { terminalSafe(String($0)) }
                        .joined(separator: "\n"))
                await client.shutdown()
            } catch {
                await client.shutdown()
                print(";; \(terminalSafe("\(error)"))")
                throw ExitCode(3)
            }
        }

        /// The answer an authoritative server with these zone files gives, computed in process.
        func answerFromZones(_ path: String) throws {
            let (zones, errors) = ZoneSet.load(path)
            guard errors.isEmpty else {
                for e in errors { printError(terminalSafe(e.description)) }
                printError("\(errors.count) error(s) in the zone files")
                throw ExitCode(2)
            }
            guard let type = RecordType(type) else { return }
            let name = try DomainName(parsing: name.hasSuffix(".") ? name : name + ".")
            let query = Message.query(
                id: UInt16.random(in: 0...UInt16.max), name: name, type: type, recursionDesired: false,
                edns: noEdns ? nil : EDNS())
            let answer = zones.answer(query, udp: !tcp)
            let size = (try? answer.encode().readableBytes) ?? 0
            let response = DNSResponse(
                message: answer, server: DNSServerAddress(host: "zones", port: 0), transport: tcp ? .tcp : .udp,
                roundTrip: .zero, size: size)
            print(
                render(response, source: path).split(separator: "\n", omittingEmptySubsequences: false).map {
                    terminalSafe(String($0))
                }.joined(separator: "\n"))
        }

        func render(_ r: DNSResponse, source: String? = nil) -> String {
            let m = r.message
            var lines: [String] = []
            lines.append(
                ";; ->>HEADER<<- opcode: \(m.header.opcode), status: \(m.rcode), id: \(m.header.id)")
            lines.append(
                ";; flags: \(m.header.flagNames.joined(separator: " ")); QUERY: \(m.questions.count), "
                    + "ANSWER: \(m.answers.count), AUTHORITY: \(m.authorities.count), "
                    + "ADDITIONAL: \(m.additionals.count + (m.edns == nil ? 0 : 1))")
            if let e = m.edns {
                lines.append(
                    "; EDNS: version: \(e.version), flags:\(e.dnssecOK ? " do" : ""); udp: \(e.udpPayloadSize)")
            }
            lines.append(";; QUESTION SECTION:")
            lines += m.questions.map { ";\($0)" }
            for (title, records) in [
                ("ANSWER", m.answers), ("AUTHORITY", m.authorities), ("ADDITIONAL", m.additionals),
            ]
            where !records.isEmpty {
                lines.append(";; \(title) SECTION:")
                lines += records.map(\.description)
            }
            lines.append(
                ";; Query time: \(r.roundTrip.components.attoseconds / 1_000_000_000_000_000 + r.roundTrip.components.seconds * 1000) msec"
            )
            lines.append(
                ";; SERVER: \(source.map { "zone files \($0)" } ?? "\(r.server)") (\(r.transport.rawValue.uppercased()))"
            )
            lines.append(";; MSG SIZE  rcvd: \(r.size)")
            return lines.joined(separator: "\n")
        }
    }
}
