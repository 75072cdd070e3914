import Foundation
import SMTPDiagDNSWire
import SMTPDiagFamilies
import SMTPDiagSpec
import Testing

/// What `init` writes reads back as what it was given: for each lab domain's kind of answer (and text from a
/// hostile DNS), write, read with the built-in families, and compare the model.
@Suite("Spec writer: write, read, the same model")
struct SpecWriterTests {
    static func domain(_ name: String, _ body: (inout SpecWriter.Domain) -> Void) -> SpecWriter.Domain {
        let zone = DomainName(stringLiteral: name + ".")
        var d = SpecWriter.Domain(
            name: zone, server: "asked", mname: DomainName(stringLiteral: "ns1.\(name)."),
            rname: DomainName(stringLiteral: "hostmaster.\(name)."), serial: 2_024_010_100)
        body(&d)
        return d
    }

    /// The lab's domains as `init` sees them, and one whose DNS says things a spec must read back as text.
    static let domains: [SpecWriter.Domain] = [
        domain("example.test") { d in
            d.ns = ["ns1.example.test.", "ns2.example.test."]
            d.mx = ["10 mx1.example.test.", "20 mx2.example.test."]
            d.txt = ["v=spf1 mx -all"]
            d.dmarc = ["v=DMARC1; p=reject"]
            d.tlsa = [(owner: "_25._tcp.mx1.example.test.", values: ["3 1 1 " + String(repeating: "AB", count: 32)])]
            var s = SpecWriter.SMTP(helo: "init.example.net", tlsCAFile: "lab/run/tls/ca.pem")
            s.banner = [220]
            s.ehlo = [250]
            s.extensions = ["STARTTLS", "PIPELINING"]
            s.starttls = [220]
            s.mailFrom = [250]
            s.postmaster = [250]
            s.quit = [221]
            d.smtp = s
        },
        domain("drift.test") { d in d.serial = 2_024_010_105 },
        domain("bigtxt.test") { d in
            d.tcpOnly = true
            d.txt = (0..<8).map { "chunk \($0) " + String(repeating: "x", count: 200) }
        },
        domain("nullmx.test") { d in d.mx = ["0 ."] },
        domain("noaddr.test") { d in
            d.mx = ["10 nowhere.noaddr.test."]
            d.unresolvedMX = ["nowhere.noaddr.test."]
        },
        domain("cnamemx.test") { d in d.mx = ["10 alias.cnamemx.test."] },
        domain("nwtraders.test") { d in
            d.txt = ["token=${CI_SECRET_TOKEN:-none}", "say \"hi\" \\ then\nnew line\u{1B}[2J", "ünïcode \u{202E}"]
            var s = SpecWriter.SMTP(helo: "h", tlsCAFile: nil)
            s.starttlsOff = true
            s.notes = ["mx1[127.0.0.11]: TLS failed\n::error forged"]
            s.banner = [220, 421]
            s.postmaster = [250]
            d.smtp = s
        },
    ]

    @Test func whatIsWrittenReadsBackTheSame() throws {
        var w = SpecWriter()
        w.header = ["Written by a test\nwith a second line"]
        w.servers = [(name: "asked", address: "127.0.0.10", note: "the server init asked")]
        w.domains = Self.domains
        let yaml = w.yaml()
        let loaded = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data(yaml.utf8), path: "/spec/folder/written.yaml")
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)\n\(yaml)")
        let file = try #require(loaded.files.first)
        #expect(file.servers.map { "\($0.name)=\($0.host):\($0.port)" } == ["asked=127.0.0.10:53"])
        #expect(file.domains.count == Self.domains.count)
        for (d, read) in zip(Self.domains, file.domains) {
            #expect(read.name == d.name)
            #expect(read.dns.servers?.map(\.value) == [d.server])
            #expect(read.dns.transports == (d.tcpOnly ? [.tcp] : [.udp, .tcp]))
            let soa = try #require(read.expectation("soa") as? SOAFamily.Expectation)
            #expect(soa.mname == d.mname && soa.rname == d.rname)
            #expect(soa.serial == .range(min: Int64(d.serial), max: nil))
            let ns = read.expectation("ns") as? ApexRecordSet
            #expect(ns?.set.equals == (d.ns.isEmpty ? nil : d.ns.map { .ns(NS(nsdname: $0)) }))
            let mx = read.expectation("mx") as? ApexRecordSet
            #expect(
                mx?.set.equals == (d.mx.isEmpty ? nil : try d.mx.map { try RData(type: .mx, presentation: $0) }))
            let resolves = read.expectation("mx_resolves") as? MXResolvesFamily.Expectation
            #expect(resolves?.resolves == (d.unresolvedMX.isEmpty ? nil : false))
            let records = (read.expectation("records") as? RecordsFamily.Expectation)?.records ?? []
            var want: [(String, RecordType, [RData])] = []
            if !d.txt.isEmpty { want.append(("@", .txt, d.txt.map { .txt(TXT([$0])) })) }
            if !d.dmarc.isEmpty { want.append(("_dmarc", .txt, d.dmarc.map { .txt(TXT([$0])) })) }
            for (owner, values) in d.tlsa {
                want.append((owner.description, .tlsa, try values.map { try RData(type: .tlsa, presentation: $0) }))
            }
            #expect(records.map(\.writtenName) == want.map(\.0))
            #expect(records.map(\.type) == want.map(\.1))
            // TXT compares by its joined text (how the run compares it); everything else by value.
            func text(_ list: [RData]?) -> [String] {
                (list ?? []).map { if case .txt(let t) = $0 { return t.joined } else { return $0.description } }
            }
            #expect(records.map { text($0.set.equals) } == want.map { text($0.2) })
            if let s = d.smtp {
                let smtp = try #require((read.expectation("smtp") as? SMTPFamily.Expectation)?.spec)
                #expect(smtp.hosts == .mx)
                #expect(smtp.settings.helo == s.helo)
                #expect(smtp.settings.tlsCAFile == s.tlsCAFile.map { "/spec/folder/" + $0 })
                #expect(smtp.settings.tlsVerify == (s.tlsCAFile == nil ? false : nil))
                #expect(smtp.settings.starttls == (s.starttlsOff ? .off : nil))
                func codes(_ e: Located<ReplyExpectation>?) -> [Int] {
                    switch e?.value {
                    case .exact(let c): return [c]
                    case .anyOf(let list): return list
                    default: return []
                    }
                }
                #expect(codes(smtp.expect.banner) == s.banner)
                #expect(codes(smtp.expect.ehlo) == s.ehlo)
                #expect(codes(smtp.expect.starttls) == s.starttls)
                #expect(codes(smtp.expect.mailFrom) == s.mailFrom)
                #expect(codes(smtp.expect.quit) == s.quit)
                #expect((smtp.expect.extensions?.value ?? []) == s.extensions)
                #expect(smtp.expect.rcpt.map(\.written) == (s.postmaster.isEmpty ? [] : ["postmaster"]))
                #expect(
                    smtp.expect.rcpt.map { codes(Located($0.reply, $0.location)) }
                        == (s.postmaster.isEmpty ? [] : [s.postmaster]))
            } else {
                #expect(read.expectation("smtp") == nil)
            }
        }
        // Server text stays text: no line of the spec is made of it, no escape reaches a terminal.
        #expect(!yaml.contains("\u{1B}") && !yaml.contains("\n::error"))
        #expect(yaml.contains("$${CI_SECRET_TOKEN:-none}"))
    }
}
