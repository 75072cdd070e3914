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

    /// Serves the `*.zone` files of `zones` (each `NAME.zone`, `root.zone` for the root) from an NSD of their own
    /// on 127.0.0.54:`port`, started with no descriptor of ours but the standard ones (Foundation's Process waits
    /// for every holder of one) and killed whatever happens, and compares every answer with the zone source's.
    static func serveAndCompare(_ zones: URL, port: Int, label: String) async throws {
        let dir = zones.deletingLastPathComponent()
        let names = try FileManager.default.contentsOfDirectory(atPath: zones.path).filter { $0.hasSuffix(".zone") }
            .sorted().map { String($0.dropLast(5)) }
        // kzonecheck (Knot's checker) accepts every file the zone source reads.
        for name in names {
            let (status, _) = try TestLab.run([
                "kzonecheck", "-o", name == "root" ? "." : name, zones.appendingPathComponent("\(name).zone").path,
            ])
            #expect(status == 0, "kzonecheck refuses \(name).zone")
        }
        let conf = """
            server:
                ip-address: 127.0.0.54@\(port)
                zonesdir: "\(zones.path)"
                username: ""
                chroot: ""
                database: ""
                pidfile: "\(dir.path)/nsd-\(port).pid"
                xfrdfile: "\(dir.path)/xfrd-\(port).state"
                zonelistfile: "\(dir.path)/zone-\(port).list"
                rrl-ratelimit: 0
            remote-control:
                control-enable: no

            """
            + names.map { "zone:\n    name: \"\($0 == "root" ? "." : $0)\"\n    zonefile: \"\($0).zone\"\n" }.joined()
        let confPath = dir.appendingPathComponent("nsd-\(port).conf").path
        try conf.write(toFile: confPath, atomically: true, encoding: .utf8)
        let (started, _) = try TestLab.run([
            "python3", "-c",
            "import subprocess, sys; subprocess.run(['nsd', '-c', sys.argv[1]], close_fds=True, check=True)", confPath,
        ])
        defer { _ = try? TestLab.run(["pkill", "-KILL", "-f", "nsd -c \(confPath)"]) }
        try #require(started == 0, "NSD did not start on 127.0.0.54:\(port)")
        let server = DNSServerAddress(host: "127.0.0.54", port: port)
        let client = DNSClient()
        let probe = try DomainName(parsing: names.first.map { $0 == "root" ? "." : $0 + "." } ?? ".")
        var up = false
        for _ in 0..<50 where !up {
            up = (try? await client.query(probe, .soa, server: server, transport: .udp)) != nil
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        await client.shutdown()
        try #require(up, "NSD on 127.0.0.54:\(port) did not answer")
        try await compare(folder: zones.path, server: server, label: label)
    }

    static func folder(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zones-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("zones"), withIntermediateDirectories: true)
        return dir.appendingPathComponent("zones")
    }

    /// Zone files nobody here wrote: the ones Debian's bind9 ships (db.local, db.127, db.empty), dns-root-data's
    /// root.hints (included under an SOA of its own, which NSD needs to serve it), and lab zones in BIND's
    /// canonical form (`named-compilezone -o`): each answered as an NSD of their own answers from the same files.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/etc/bind/db.local")))
    func filesWrittenByOthersAnswerAsNSDDoes() async throws {
        let zones = try Self.folder("others")
        defer { try? FileManager.default.removeItem(at: zones.deletingLastPathComponent()) }
        for (file, zone) in [("db.local", "localhost"), ("db.127", "127.in-addr.arpa"), ("db.empty", "empty.test")] {
            try FileManager.default.copyItem(
                atPath: "/etc/bind/\(file)", toPath: zones.appendingPathComponent("\(zone).zone").path)
        }
        if FileManager.default.fileExists(atPath: "/usr/share/dns/root.hints") {
            try """
            .  86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400
            $INCLUDE /usr/share/dns/root.hints

            """.write(to: zones.appendingPathComponent("root.zone"), atomically: true, encoding: .utf8)
        }
        for zone in ["example.test", "wild.test", "spf.test", "mailauth.test"] {
            let (status, _) = try TestLab.run([
                "named-compilezone", "-q", "-o", zones.appendingPathComponent("\(zone).zone").path, zone,
                TestRepository.path("lab/run/zones-nsd/\(zone).zone"),
            ])
            try #require(status == 0, "named-compilezone failed on \(zone)")
        }
        try await Self.serveAndCompare(zones, port: 5302, label: "NSD (Debian's files, named-compilezone's form)")
    }

    /// Every lab zone as `ldns-read-zone` writes it (all but wild.test, whose parenthesised TXT strings ldns
    /// cannot read, though NSD, Knot, BIND and the zone source do).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ldns-read-zone")))
    func ldnsCanonicalFormsAnswerAsNSDDoes() async throws {
        let zones = try Self.folder("ldns")
        defer { try? FileManager.default.removeItem(at: zones.deletingLastPathComponent()) }
        let lab = TestRepository.path("lab/run/zones-nsd")
        for file in try FileManager.default.contentsOfDirectory(atPath: lab)
        where file.hasSuffix(".zone") && file != "wild.test.zone" {
            let (status, text) = try TestLab.run(["ldns-read-zone", "\(lab)/\(file)"])
            try #require(status == 0, "ldns-read-zone failed on \(file)")
            try text.write(to: zones.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        try await Self.serveAndCompare(zones, port: 5303, label: "NSD (ldns-read-zone's form)")
    }

    /// Generated zones (a fixed seed): names one to four labels deep (so empty non-terminals), wildcards at random
    /// parents, CNAME chains inside a zone, across zones, dangling and looping, delegations with glue below and
    /// beside the cut, large address sets, MX and SRV targets inside and outside: each answered as NSD answers.
    @Test func generatedZonesAnswerAsNSDDoes() async throws {
        let zones = try Self.folder("generated")
        defer { try? FileManager.default.removeItem(at: zones.deletingLastPathComponent()) }
        var seed: UInt64 = 0x5EED
        func next(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
        let words = ["a", "b", "c", "mail", "www", "x", "deep", "ent", "srv", "_tcp"]
        for z in 0..<5 {
            let origin = "gen\(z).test"
            var lines = [
                "$ORIGIN \(origin).", "$TTL \(300 + next(600))",
                "@ SOA ns1 hostmaster \(z + 1) 7200 3600 1209600 \(60 + next(240))", "@ NS ns1",
                "@ NS ns2.example.test.",
                "ns1 A 192.0.2.\(z + 1)", "@ MX 10 mail", "@ MX 20 mx1.example.test.",
            ]
            var names: [String] = []
            for _ in 0..<30 {
                let depth = 1 + next(4)
                names.append((0..<depth).map { _ in words[next(words.count)] }.joined(separator: "."))
            }
            for (i, name) in names.enumerated() {
                switch next(9) {
                case 0: lines.append("*.\(name) TXT \"wild \(i)\"")
                case 1: lines.append("\(name)-c\(i) CNAME \(names[next(names.count)])-c\(next(30))")  // often dangling
                case 2: lines.append("\(name)-c\(i) CNAME \(names[next(names.count)])")
                case 3: lines.append("\(name)-x\(i) CNAME mail.gen\((z + 1) % 5).test.")
                case 4:
                    lines.append("cut\(i).\(name) NS ns.cut\(i).\(name)")
                    lines.append("cut\(i).\(name) NS ns1")
                    lines.append("ns.cut\(i).\(name) A 192.0.2.\(100 + i)")
                case 5: for k in 0..<(20 + next(40)) { lines.append("\(name) A 198.51.100.\(k)") }
                case 6: lines.append("_sip._tcp.\(name) SRV 10 5 5060 \(names[next(names.count)])")
                case 7: lines.append("\(name) MX \(next(50)) \(names[next(names.count)])")
                default: lines.append("\(name) AAAA 2001:db8::\(i + 1)")
                }
            }
            lines.append("mail A 192.0.2.25")
            lines.append("loop1 CNAME loop2")
            lines.append("loop2 CNAME loop1")
            try (lines.joined(separator: "\n") + "\n").write(
                to: zones.appendingPathComponent("\(origin).zone"), atomically: true, encoding: .utf8)
        }
        try await Self.serveAndCompare(zones, port: 5304, label: "NSD (generated zones)")
    }

    /// A file kzonecheck refuses, the zone source refuses too, with the place.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kzonecheck")))
    func aBrokenFileIsRefusedByBoth() throws {
        let zones = try Self.folder("broken")
        defer { try? FileManager.default.removeItem(at: zones.deletingLastPathComponent()) }
        let file = zones.appendingPathComponent("broken.test.zone")
        try "$ORIGIN broken.test.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.300\n".write(
            to: file, atomically: true, encoding: .utf8)
        let (status, _) = try TestLab.run(["kzonecheck", "-o", "broken.test", file.path])
        #expect(status != 0)
        let (_, errors) = ZoneSet.load(zones.path)
        #expect(
            errors.map(\.description) == [
                "\(file.path):5:6: error: A data: A.address: cannot parse \"192.0.2.300\": expected an IPv4 address a.b.c.d"
            ])
    }

    @Test func answersAsKnotDoesWhereNSDAgrees() async throws {
        try await Self.compare(
            folder: "lab/run/zones-knot", server: DNSServerAddress(host: "127.0.0.12", port: 53), label: "Knot",
            agreeing: DNSServerAddress(host: "127.0.0.10", port: 53))
    }
}
