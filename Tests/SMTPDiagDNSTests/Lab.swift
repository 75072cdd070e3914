import Foundation
import SMTPDiagDNSWire
import SMTPDiagTestSupport
import Testing

@testable import SMTPDiagDNS

/// The loopback lab of `scripts/lab`. Integration tests skip with a message when it is not running,
/// except under CI=true, where they run and fail: there a missing lab is an error, not a pass.
enum Lab {
    static let nsd = DNSServerAddress(host: "127.0.0.10")
    static let knot = DNSServerAddress(host: "127.0.0.12")
    static let nsd6 = DNSServerAddress(host: "::1", port: 53)
    static let knot6 = DNSServerAddress(host: "::1", port: 5353)

    static let isCI = TestLab.isCI
    static let isUp = TestLab.isUp
    /// Whether lab tests run: the lab is up, or this is CI (where a down lab must fail them).
    static let enabled = TestLab.enabled
    static let skipReason = Comment(rawValue: TestLab.skipReason)

    static func run(_ arguments: [String]) -> String? { TestLab.output(arguments) }

    /// What dig says for one question, parsed with our presentation parser.
    static func dig(_ name: String, _ type: String, server: DNSServerAddress, transport: DNSTransport) throws
        -> [ResourceRecord]
    {
        var args = ["dig", "+norec", "+noall", "+answer", "+authority", "+additional", "+nocomments"]
        args += ["-p", String(server.port), "@\(server.host)", name, type, transport == .tcp ? "+tcp" : "+ignore"]
        let out = try #require(run(args), "dig could not be run")
        return try out.split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.isEmpty }.map { line in
            let f = line.split(maxSplits: 4, whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let type = try #require(RecordType(f[3]))
            return ResourceRecord(
                name: try DomainName(parsing: f[0]), recordClass: try #require(RecordClass(f[2])),
                ttl: try #require(UInt32(f[1])),
                rdata: try RData(type: type, presentation: f.count == 5 ? f[4] : ""))
        }
    }
}
