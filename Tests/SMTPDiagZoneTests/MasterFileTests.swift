import SMTPDiagDNSWire
import SMTPDiagZone
import Testing

/// Files in memory for `$INCLUDE`.
struct MemoryFiles: ZoneFileReader {
    var files: [String: String]

    func read(_ path: String, limit: Int) -> Result<[UInt8], ZoneFileProblem> {
        guard let text = files[path] else { return .failure(ZoneFileProblem("cannot read \(path)")) }
        return .success(Array(text.utf8.prefix(limit + 1)))
    }

    func resolve(_ included: String, from includer: String) -> String {
        if included.hasPrefix("/") { return included }
        let folder = includer.split(separator: "/").dropLast().joined(separator: "/")
        return (includer.hasPrefix("/") ? "/" : "") + (folder.isEmpty ? "" : folder + "/") + included
    }
}

@Suite struct MasterFileTests {
    static let header = """
        $ORIGIN z.test.
        $TTL 300
        @ SOA ns1 host ( 1 2 3 4 60 ) ; a comment ( not a parenthesis
        @ NS ns1
        ns1 A 192.0.2.1

        """

    static func parse(_ text: String, files: [String: String] = [:], budget: Int = MasterFile.maxRecords) -> MasterFile
    {
        var all = files
        all["/z/z.test.zone"] = text
        return MasterFile(path: "/z/z.test.zone", origin: "z.test.", reader: MemoryFiles(files: all), budget: budget)
    }

    @Test func theFormsOfRFC1035() throws {
        let f = Self.parse(
            Self.header + """
                www 60 IN CNAME @
                    IN 120 TXT "two" "strings" ; same owner as the line above
                a\\.b TXT ( "multi"
                   "line" )
                abs.other.test. A 192.0.2.2
                ttl 1h30m A 192.0.2.3
                gen TYPE65280 \\# 2 0102
                esc TXT "\\065\\"\\;"
                """)
        #expect(f.errors.isEmpty, "\(f.errors)")
        let byName = Dictionary(grouping: f.records, by: { $0.name.description })
        #expect(byName["www.z.test."]?.map(\.ttl).sorted() == [60, 120])
        #expect(byName["a\\.b.z.test."]?.first?.rdata == .txt(TXT(["multi", "line"])))
        #expect(byName["abs.other.test."] != nil)
        #expect(byName["ttl.z.test."]?.first?.ttl == 5400)
        #expect(byName["esc.z.test."]?.first?.rdata == .txt(TXT(["A\";"])))
        #expect(byName["gen.z.test."]?.first?.type == RecordType(rawValue: 65280))
        #expect(byName["z.test."]?.first { $0.type == .soa }?.ttl == 300)
    }

    @Test func includeIsRelativeBoundedAndLoopFree() {
        let ok = Self.parse(
            Self.header + "$INCLUDE sub/part.zone sub\n", files: ["/z/sub/part.zone": "x A 192.0.2.9\n"])
        #expect(ok.errors.isEmpty, "\(ok.errors)")
        #expect(ok.records.contains { $0.name.description == "x.sub.z.test." })
        let loop = Self.parse(
            Self.header + "$INCLUDE a.zone\n",
            files: ["/z/a.zone": "$INCLUDE b.zone\n", "/z/b.zone": "$INCLUDE a.zone\n"])
        #expect(loop.errors.map(\.message).contains { $0.hasPrefix("$INCLUDE loop") }, "\(loop.errors)")
        var deep: [String: String] = [:]
        for i in 0..<20 { deep["/z/d\(i).zone"] = "$INCLUDE d\(i + 1).zone\n" }
        let tooDeep = Self.parse(Self.header + "$INCLUDE d0.zone\n", files: deep)
        #expect(tooDeep.errors.map(\.message).contains { $0.contains("nested more than 8 deep") }, "\(tooDeep.errors)")
        let missing = Self.parse(Self.header + "$INCLUDE nope.zone\n")
        #expect(missing.errors.first?.description == "/z/z.test.zone:6:1: error: cannot read /z/nope.zone")
    }

    @Test func everyErrorIsLocatedAndAllAreSaid() {
        let f = Self.parse(
            Self.header + """
                bad 1x A 192.0.2.1
                a A 300.1.1.1
                b FOO 1
                $GENERATE 1-10 h$ A 192.0.2.$
                c CH A 192.0.2.1
                d TXT "open
                e A 192.0.2.1 )
                """)
        let text = f.errors.map(\.description)
        #expect(text.count == 7, "\(text)")
        #expect(text.contains { $0.hasPrefix("/z/z.test.zone:6:5: error: 1x is not a TTL") })
        #expect(text.contains { $0.hasPrefix("/z/z.test.zone:7:5: error: A data:") })
        #expect(text.contains { $0.hasPrefix("/z/z.test.zone:8:3: error: FOO is not") })
        #expect(text.contains { $0.hasPrefix("/z/z.test.zone:9:1: error: unknown directive $GENERATE") })
        #expect(text.contains { $0.hasPrefix("/z/z.test.zone:10:3: error: class CH: only IN is served") })
        #expect(text.contains { $0.contains("a quoted string is not closed") })
        #expect(text.contains { $0.contains("a ) with no ( before it") })
    }

    @Test func aMillionRecordsEndInAnError() {
        let many = String(repeating: "h A 192.0.2.1\n", count: 2000)
        let f = Self.parse(Self.header + many, budget: 1000)
        #expect(f.records.count == 1000)
        #expect(f.errors.map(\.message) == ["more than 500000 records; the rest are not read"])
    }

    @Test func aZoneServersWouldRefuse() {
        var set = ZoneSet()
        let problems = set.add(
            origin: "z.test.",
            records: [
                ResourceRecord(name: "z.test.", ttl: 1, rdata: .ns(NS(nsdname: "ns.z.test."))),
                ResourceRecord(name: "c.z.test.", ttl: 1, rdata: .cname(CNAME(target: "z.test."))),
                ResourceRecord(name: "c.z.test.", ttl: 1, rdata: .a(A(address: [192, 0, 2, 1]))),
                ResourceRecord(name: "elsewhere.test.", ttl: 1, rdata: .a(A(address: [192, 0, 2, 1]))),
            ])
        #expect(problems.count == 3, "\(problems)")
    }
}
