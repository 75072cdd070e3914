import Foundation
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagTestSupport
import SMTPDiagZone
import Testing

/// The zone files the lab's servers load (`lab/run/zones-nsd`, `lab/run/zones-knot`: the lab zones with their
/// serial and TLSA filled in), answered in process and by the server itself: for every owner name, every type
/// it has and a few it has not, and a name that does not exist below it, over UDP with EDNS, UDP without and
/// TCP, the rcode, AA, TC and each section (as a set, TTLs included) must be the same.
@Suite(
    "Zone files answered in process, against NSD and Knot",
    .enabled(if: TestLab.enabled, Comment(rawValue: TestLab.skipReason)))
struct DifferentialTests {
    /// An answer reduced to what must agree.
    struct Shape: Hashable, CustomStringConvertible {
        var rcode: String
        var aa: Bool
        var tc: Bool
        var answer: Set<String>
        var authority: Set<String>
        var additional: Set<String>

        init(_ m: Message) {
            rcode = "\(m.rcode)"
            aa = m.header.authoritative
            tc = m.header.truncated
            // Names compare without regard to case (RFC 4343), in RDATA too: NSD lowers the case of the names it
            // loads (root.hints writes A.ROOT-SERVERS.NET.), the zone source keeps the file's.
            let named: Set<RecordType> = [.ns, .cname, .ptr, .mx, .soa, .srv]
            func lines(_ rs: [ResourceRecord]) -> Set<String> {
                Set(
                    rs.map {
                        let rdata = named.contains($0.type) ? "\($0.rdata)".lowercased() : "\($0.rdata)"
                        return "\($0.name.description.lowercased()) \($0.ttl) \($0.type) \(rdata)"
                    })
            }
            answer = lines(m.answers)
            authority = lines(m.authorities)
            additional = lines(m.additionals)
        }

        var description: String {
            "\(rcode) aa=\(aa) tc=\(tc)\n  answer: \(answer.sorted())\n  authority: \(authority.sorted())\n"
                + "  additional: \(additional.sorted())"
        }
    }

    /// Every question the differential asks of the zones in `folder`.
    static func questions(_ zones: ZoneSet) -> [Question] {
        var out: [Question] = []
        let extra: [RecordType] = [.a, .aaaa, .mx, .txt, .ns, .soa, .cname, .ds, .ptr]
        for (_, zone) in zones.zones.sorted(by: { $0.key < $1.key }) {
            for (name, types) in zone.allNodes.sorted(by: { $0.key < $1.key }) {
                for t in Set(types + extra).sorted() { out.append(Question(name: name, type: t)) }
                if let nx = try? DomainName(parsing: "nx-\(out.count)", origin: name) {
                    out.append(Question(name: nx, type: .a))
                    out.append(Question(name: nx, type: .txt))
                }
            }
        }
        return out
    }

    /// Compares with `server`; with `agreeing`, only where that server and `agreeing` give the same answer.
    static func compare(folder: String, server: DNSServerAddress, label: String, agreeing: DNSServerAddress? = nil)
        async throws
    {
        let (zones, errors) = ZoneSet.load(folder.hasPrefix("/") ? folder : TestRepository.path(folder))
        #expect(errors.isEmpty, "\(errors)")
        let questions = Self.questions(zones)
        #expect(questions.count > 400)
        let client = DNSClient()
        var differences: [String] = []
        var skipped = 0
        for q in questions {
            for (transport, edns) in [(DNSTransport.udp, true), (.udp, false), (.tcp, true)] {
                var options = DNSQueryOptions(timeout: .seconds(2), retries: 2)
                options.recursionDesired = false
                if !edns { options.edns = nil }
                let theirs: DNSResponse
                do {
                    theirs = try await client.query(q, server: server, transport: transport, options: options)
                } catch {
                    differences.append("\(q) over \(transport): \(label) did not answer: \(error)")
                    continue
                }
                if let agreeing {
                    let other = try? await client.query(q, server: agreeing, transport: transport, options: options)
                    guard let other, Shape(other.message) == Shape(theirs.message) else {
                        skipped += 1
                        continue
                    }
                }
                let query = Message.query(
                    id: 1, name: q.name, type: q.type, recursionDesired: false, edns: edns ? EDNS() : nil)
                let ours = zones.answer(query, udp: transport == .udp)
                if Shape(ours) != Shape(theirs.message) {
                    differences.append(
                        "\(q) over \(transport)\(edns ? "" : " without EDNS"):\n ours: \(Shape(ours))\n \(label): "
                            + "\(Shape(theirs.message))")
                }
            }
        }
        await client.shutdown()
        // Where the servers disagree among themselves (Knot puts no NS in the authority section of a positive answer;
        // its serial differs from NSD's in the lab), NSD is the model; enough answers remain to compare.
        #expect(questions.count * 3 - skipped > 300, "\(label): \(skipped) answers where the two servers disagree")
        #expect(
            differences.isEmpty,
            "\(differences.count) of \(questions.count * 3) differ:\n\(differences.prefix(12).joined(separator: "\n"))")
    }

    @Test func answersAsNSDDoes() async throws {
        try await Self.compare(
            folder: "lab/run/zones-nsd", server: DNSServerAddress(host: "127.0.0.10", port: 53), label: "NSD")
    }

    /// Zone files nobody here wrote: the ones Debian's bind9 ships (db.local, db.127, db.empty), dns-root-data's
    /// root.hints (included under an SOA of its own, which NSD needs to serve it), and the lab zones in BIND's
    /// canonical form (`named-compilezone -o`): each answered as an NSD of its own answers from the same files.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/etc/bind/db.local")))
    func filesWrittenByOthersAnswerAsNSDDoes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zones-others-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("zones"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let zones = dir.appendingPathComponent("zones")
        var names: [String] = []
        for (file, zone) in [("db.local", "localhost"), ("db.127", "127.in-addr.arpa"), ("db.empty", "empty.test")] {
            try FileManager.default.copyItem(
                atPath: "/etc/bind/\(file)", toPath: zones.appendingPathComponent("\(zone).zone").path)
            names.append(zone)
        }
        if FileManager.default.fileExists(atPath: "/usr/share/dns/root.hints") {
            try """
            .  86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400
            $INCLUDE /usr/share/dns/root.hints

            """.write(to: zones.appendingPathComponent("root.zone"), atomically: true, encoding: .utf8)
            names.append(".")
        }
        for zone in ["example.test", "wild.test", "spf.test", "mailauth.test"] {
            let (status, _) = try TestLab.run([
                "named-compilezone", "-q", "-o", zones.appendingPathComponent("\(zone).zone").path, zone,
                TestRepository.path("lab/run/zones-nsd/\(zone).zone"),
            ])
            try #require(status == 0, "named-compilezone failed on \(zone)")
            names.append(zone)
        }
        let conf = """
            server:
                ip-address: 127.0.0.54@5302
                zonesdir: "\(zones.path)"
                username: ""
                chroot: ""
                database: ""
                pidfile: "\(dir.path)/nsd.pid"
                xfrdfile: "\(dir.path)/xfrd.state"
                zonelistfile: "\(dir.path)/zone.list"
                rrl-ratelimit: 0
            remote-control:
                control-enable: no

            """
            + names.map { "zone:\n    name: \"\($0)\"\n    zonefile: \"\($0 == "." ? "root" : $0).zone\"\n" }.joined()
        try conf.write(to: dir.appendingPathComponent("nsd.conf"), atomically: true, encoding: .utf8)
        // Started with no descriptor of ours but the standard ones (Foundation's Process waits for every holder).
        let (started, _) = try TestLab.run([
            "python3", "-c",
            "import subprocess, sys; subprocess.run(['nsd', '-c', sys.argv[1]], close_fds=True, check=True)",
            dir.appendingPathComponent("nsd.conf").path,
        ])
        try #require(started == 0, "NSD did not start on 127.0.0.54:5302")
        // Every NSD process of this configuration (it forks), whatever the test's outcome.
        defer {
            _ = try? TestLab.run(["pkill", "-KILL", "-f", "nsd -c \(dir.appendingPathComponent("nsd.conf").path)"])
        }
        let server = DNSServerAddress(host: "127.0.0.54", port: 5302)
        let client = DNSClient()
        var up = false
        for _ in 0..<50 where !up {
            up = (try? await client.query("localhost.", .soa, server: server, transport: .udp)) != nil
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        await client.shutdown()
        try #require(up, "NSD on 127.0.0.54:5302 did not answer")
        try await Self.compare(folder: zones.path, server: server, label: "NSD (files by others)")
    }

    @Test func answersAsKnotDoesWhereNSDAgrees() async throws {
        try await Self.compare(
            folder: "lab/run/zones-knot", server: DNSServerAddress(host: "127.0.0.12", port: 53), label: "Knot",
            agreeing: DNSServerAddress(host: "127.0.0.10", port: 53))
    }
}
