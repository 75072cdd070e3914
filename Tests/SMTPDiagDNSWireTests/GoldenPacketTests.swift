import Foundation
import NIOCore
import Testing

@testable import SMTPDiagDNSWire

/// Responses captured from the lab's NSD and Knot by `scripts/capture-fixtures`, with what dig printed.
enum Fixtures {
    struct Entry: Decodable, Sendable, CustomStringConvertible {
        var file: String
        var server: String
        var transport: String
        var edns: Bool
        var name: String
        var type: String
        var dig: [String]
        var description: String { file }
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/packets")

    static let manifest: [Entry] = {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("manifest.json")),
            let entries = try? JSONDecoder().decode([Entry].self, from: data)
        else { return [] }
        return entries
    }()

    static func bytes(_ entry: Entry) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(entry.file)))
    }
}

/// Parses one line of dig output (`name TTL CLASS TYPE RDATA`) with our presentation parser.
func parseDigLine(_ line: String) throws -> ResourceRecord {
    let fields = line.split(maxSplits: 4, whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    guard fields.count >= 4, let ttl = UInt32(fields[1]), let cls = RecordClass(fields[2]),
        let type = RecordType(fields[3])
    else { throw DNSWireError.presentation(field: "dig", text: line, reason: "not a record line") }
    let rdata = try RData(type: type, presentation: fields.count == 5 ? fields[4] : "")
    return ResourceRecord(name: try DomainName(parsing: fields[0]), recordClass: cls, ttl: ttl, rdata: rdata)
}

@Suite("Golden packets from NSD and Knot")
struct GoldenPacketTests {
    @Test func manifestIsThere() {
        #expect(Fixtures.manifest.count >= 50)
        #expect(Set(Fixtures.manifest.map(\.server)) == ["nsd", "knot"])
    }

    @Test(arguments: Fixtures.manifest)
    func decodesLikeDigAndReencodes(_ entry: Fixtures.Entry) throws {
        let raw = try Fixtures.bytes(entry)
        let message = try Message.decode(bytes: raw)
        #expect(message.header.isResponse)
        if entry.name == "sub.example.test." && entry.type == "A" {
            // A referral to the delegated child: not authoritative, NS in the authority section.
            #expect(!message.header.authoritative)
            #expect(message.authorities.contains { $0.type == .ns })
        } else {
            #expect(message.header.authoritative)
        }
        #expect(
            message.questions == [
                Question(name: try DomainName(parsing: entry.name), type: try #require(RecordType(entry.type)))
            ])
        #expect((message.edns != nil) == entry.edns)

        // Every record is what dig says, in the same order.
        let ours = message.answers + message.authorities + message.additionals
        let theirs = try entry.dig.map(parseDigLine)
        #expect(ours == theirs)

        // Known types decode to their typed case; only the private-use type stays unknown.
        for rr in ours {
            if case .unknown(let type, _) = rr.rdata { #expect(type.rawValue == 65280) }
        }

        // Encodes back to an equivalent message, compressed or not.
        var compressed = try message.encode(compress: true)
        var plain = try message.encode(compress: false)
        #expect(try Message.decode(from: &compressed) == message)
        #expect(try Message.decode(from: &plain) == message)
    }

    @Test func bigTXTIsTruncatedOverUDPAndWholeOverTCP() throws {
        for server in ["nsd", "knot"] {
            let udp = try #require(
                Fixtures.manifest.first { $0.server == server && $0.file.contains("bigtxt") && $0.transport == "udp" })
            let tcp = try #require(
                Fixtures.manifest.first { $0.server == server && $0.file.contains("bigtxt") && $0.transport == "tcp" })
            let u = try Message.decode(bytes: try Fixtures.bytes(udp))
            let t = try Message.decode(bytes: try Fixtures.bytes(tcp))
            #expect(u.header.truncated)
            #expect(!t.header.truncated)
            #expect(t.answers.filter { $0.type == .txt }.count == 8)
            #expect(try Fixtures.bytes(tcp).count > 1232)
        }
    }

    @Test func everyRequiredTypeIsCovered() throws {
        var seen = Set<RecordType>()
        for entry in Fixtures.manifest {
            let m = try Message.decode(bytes: try Fixtures.bytes(entry))
            for rr in m.answers + m.authorities + m.additionals { seen.insert(rr.type) }
            if m.edns != nil { seen.insert(.opt) }
        }
        let required: Set<RecordType> = [
            .a, .aaaa, .ns, .cname, .ptr, .soa, .mx, .txt, .srv, .caa, .tlsa, .ds, .dnskey, .opt,
            RecordType(rawValue: 65280),
        ]
        #expect(required.isSubset(of: seen))
    }

    @Test func nullMXAndNXDomain() throws {
        let nullmx = try #require(Fixtures.manifest.first { $0.file == "nsd-nullmx.test-MX-udp.bin" })
        let m = try Message.decode(bytes: try Fixtures.bytes(nullmx))
        guard case .mx(let mx) = m.answers.first?.rdata else {
            Issue.record("no MX")
            return
        }
        #expect(mx.isNullMX)
        let missing = try #require(Fixtures.manifest.first { $0.file == "knot-missing.example.test-A-udp.bin" })
        let n = try Message.decode(bytes: try Fixtures.bytes(missing))
        #expect(n.rcode == .nxDomain)
        #expect(n.answers.isEmpty)
        #expect(n.authorities.first?.type == .soa)
    }
}
