import SMTPDiagDNSWire
import SMTPDiagMailAuth
import Testing

/// A DNS in memory: names (lower case, no final dot) and types to answers; anything else is NXDOMAIN.
struct MemoryResolver: SPFResolver {
    var answers: [String: [RecordType: SPFLookup]] = [:]
    var failing: Set<String> = []

    mutating func txt(_ name: String, _ strings: [String]...) {
        answers[name, default: [:]][.txt] = .records(strings.map { .txt(TXT($0)) })
    }
    mutating func spf(_ name: String, _ text: String) { txt(name, [text]) }
    mutating func a(_ name: String, _ addresses: String...) {
        answers[name, default: [:]][.a] = .records(
            addresses.map { .a(A(address: (try? Presentation.ipv4($0, field: "a")) ?? [0, 0, 0, 0])) })
    }
    mutating func aaaa(_ name: String, _ addresses: String...) {
        answers[name, default: [:]][.aaaa] = .records(
            addresses.map { .aaaa(AAAA(address: (try? Presentation.ipv6($0, field: "aaaa")) ?? [])) })
    }
    mutating func mx(_ name: String, _ exchanges: String...) {
        answers[name, default: [:]][.mx] = .records(
            exchanges.map { .mx(MX(preference: 10, exchange: (try? DomainName(parsing: $0 + ".")) ?? .root)) })
    }
    mutating func ptr(_ name: String, _ targets: String...) {
        answers[name, default: [:]][.ptr] = .records(
            targets.map { .ptr(PTR(target: (try? DomainName(parsing: $0 + ".")) ?? .root)) })
    }

    func lookup(_ name: DomainName, _ type: RecordType) async -> SPFLookup {
        var key = name.description.lowercased()
        if key.hasSuffix(".") { key.removeLast() }
        if failing.contains(key) { return .error("SERVFAIL") }
        return answers[key]?[type] ?? .void
    }
}

func check(_ dns: MemoryResolver, _ ip: String, _ domain: String = "example.test", sender: String = "")
    async -> SPFEvaluation
{
    let client = SPFAddress(ip) ?? SPFAddress(bytes: [0, 0, 0, 0])
    return await SPFEvaluator(resolver: dns).checkHost(
        client: client, domain: domain, sender: sender.isEmpty ? "postmaster@\(domain)" : sender, helo: domain)
}

@Suite struct SPFRecordTests {
    @Test(arguments: [
        ("v=spf1", true), ("V=SPF1 -all", true), ("v=spf1 ", true), ("v=spf10 -all", false), ("v=spf1-all", false),
        (" v=spf1 -all", false), ("spf1", false),
    ])
    func recognised(_ text: String, _ expected: Bool) {
        #expect(SPFRecord.isSPF(text) == expected)
    }

    @Test(arguments: [
        "v=spf1 a:", "v=spf1 ip4:192.0.2.1/33", "v=spf1 ip4:192.0.2.01", "v=spf1 ip6:2001:db8::/129",
        "v=spf1 a/024", "v=spf1 foo:bar", "v=spf1 include", "v=spf1 redirect=a.test redirect=b.test",
        "v=spf1 exp=a.test exp=b.test", "v=spf1 a:%{x}.test", "v=spf1 a:%{d0}", "v=spf1 a:example",
        "v=spf1 a:foo.example.com-", "v=spf1 -all a:%", "v=spf1 all:x", "v=spf1 ptr/24", "v=spf1 x-y=%{z}",
        "v=spf1 exists:%{c}.test", "v=spf1 -all \u{e9}",
    ])
    func invalid(_ text: String) {
        #expect(throws: SPFRecord.Problem.self) { try SPFRecord(parsing: text) }
    }

    @Test func termsAndCIDR() throws {
        let r = try SPFRecord(parsing: "v=spf1  a/24//64 MX:%{d}//48 ?ip6:2001:db8::/32 ~all moo=bar exp=x.%{d}")
        #expect(r.directives.count == 4)
        #expect(r.directives[0].mechanism == .a(nil, v4: 24, v6: 64))
        #expect(r.directives[1].mechanism.name == "mx")
        if case .mx(let d, let v4, let v6) = r.directives[1].mechanism {
            #expect(d?.text == "%{d}" && v4 == 32 && v6 == 48)
        }
        #expect(r.directives[2].qualifier == .neutral)
        #expect(r.all?.qualifier == .softfail)
        #expect(r.exp?.text == "x.%{d}")
    }

    /// RFC 7208 7.4's examples.
    @Test(arguments: [
        ("%{s}", "strong-bad@email.example.com"), ("%{o}", "email.example.com"), ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"), ("%{d3}", "email.example.com"), ("%{d2}", "example.com"),
        ("%{d1}", "com"), ("%{dr}", "com.example.email"), ("%{d2r}", "example.email"), ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"), ("%{lr}", "strong-bad"), ("%{lr-}", "bad.strong"), ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
        ("%{L}%%%_%-", "strong-bad% %20"), ("%{S}", "strong-bad%40email.example.com"),
    ])
    func macros(_ spec: String, _ expected: String) throws {
        let m = try MacroString(parsing: spec, explanation: false)
        let context = MacroContext(
            sender: "strong-bad@email.example.com", domain: "email.example.com",
            client: try #require(SPFAddress("192.0.2.3")), helo: "mx.example.com")
        #expect(m.expand(context) == expected)
    }

    @Test func ipv6Macros() throws {
        let m = try MacroString(parsing: "%{ir}.%{v}._spf.%{d2}", explanation: false)
        let context = MacroContext(
            sender: "strong-bad@email.example.com", domain: "email.example.com",
            client: try #require(SPFAddress("2001:db8::cb01")), helo: "mx.example.com")
        #expect(
            m.expand(context)
                == "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")
    }

    @Test func mappedIPv6IsIPv4() throws {
        let a = try #require(SPFAddress("::ffff:192.0.2.1"))
        #expect(a.isIPv4 && a.description == "192.0.2.1")
    }
}

@Suite struct SPFEvaluationTests {
    @Test func stringsJoinWithoutSpace() async {
        var dns = MemoryResolver()
        dns.txt("example.test", ["v=spf1 ip4:192.0.2.", "10 -all"])
        #expect(await check(dns, "192.0.2.10").result == .pass)
        #expect(await check(dns, "192.0.2.11").result == .fail)
    }

    @Test func noneTwoAndSyntax() async {
        var dns = MemoryResolver()
        dns.txt("example.test", ["v=spf10 -all"], ["other text"])
        #expect(await check(dns, "192.0.2.1").result == .none)
        dns.txt("example.test", ["v=spf1 -all"], ["V=SPF1 +all"])
        #expect(await check(dns, "192.0.2.1").result == .permerror)
        // A syntax error after `all` still makes the record invalid.
        dns.spf("example.test", "v=spf1 -all ip4:300.1.1.1")
        #expect(await check(dns, "192.0.2.1").result == .permerror)
    }

    @Test func termsAfterAllAndRedirect() async {
        var dns = MemoryResolver()
        dns.spf("example.test", "v=spf1 ?all include:missing.test")
        #expect(await check(dns, "192.0.2.1").result == .neutral)
        dns.spf("example.test", "v=spf1 ip4:192.0.2.1 redirect=other.test -all")
        dns.spf("other.test", "v=spf1 +all")
        #expect(await check(dns, "192.0.2.2").result == .fail)
        dns.spf("example.test", "v=spf1 ip4:192.0.2.1 redirect=other.test")
        #expect(await check(dns, "192.0.2.2").result == .pass)
        dns.spf("example.test", "v=spf1 redirect=missing.test")
        #expect(await check(dns, "192.0.2.2").result == .permerror)
    }

    @Test func includeResults() async {
        var dns = MemoryResolver()
        dns.spf("example.test", "v=spf1 include:inc.test -all")
        dns.spf("inc.test", "v=spf1 ip4:192.0.2.0/24 ~all")
        #expect(await check(dns, "192.0.2.9").result == .pass)
        // The include's softfail is no match: evaluation goes on to -all.
        #expect(await check(dns, "198.51.100.1").result == .fail)
        dns.spf("example.test", "v=spf1 include:missing.test -all")
        #expect(await check(dns, "192.0.2.9").result == .permerror)
        dns.failing = ["inc.test"]
        dns.spf("example.test", "v=spf1 include:inc.test -all")
        let r = await check(dns, "192.0.2.9")
        #expect(r.result == .temperror)
    }

    @Test func lookupLimit() async {
        var dns = MemoryResolver()
        for i in 1...11 { dns.a("h\(i).test", "198.51.100.\(i)") }
        dns.spf("example.test", "v=spf1 " + (1...10).map { "a:h\($0).test" }.joined(separator: " ") + " -all")
        let ten = await check(dns, "192.0.2.1")
        #expect(ten.result == .fail && ten.lookups == 10)
        dns.spf("example.test", "v=spf1 " + (1...11).map { "a:h\($0).test" }.joined(separator: " ") + " -all")
        #expect(await check(dns, "192.0.2.1").result == .permerror)
        // A match before the eleventh term ends evaluation first.
        #expect(await check(dns, "198.51.100.3").result == .pass)
    }

    @Test func voidLookups() async {
        var dns = MemoryResolver()
        dns.spf("example.test", "v=spf1 a:n1.test a:n2.test a:n3.test -all")
        #expect(await check(dns, "192.0.2.1").result == .permerror)
        dns.a("n3.test", "198.51.100.1")
        let r = await check(dns, "192.0.2.1")
        #expect(r.result == .fail && r.voidLookups == 2)
        // Over IPv6, n3.test has no AAAA: a third void lookup.
        #expect(await check(dns, "2001:db8::1").result == .permerror)
    }

    @Test func mxRules() async {
        var dns = MemoryResolver()
        dns.spf("example.test", "v=spf1 mx -all")
        dns.a("example.test", "192.0.2.1")
        // No MX: no fallback to the domain's A record.
        #expect(await check(dns, "192.0.2.1").result == .fail)
        dns.mx("example.test", "mx.example.test")
        dns.a("mx.example.test", "192.0.2.7")
        #expect(await check(dns, "192.0.2.7").result == .pass)
        dns.answers["example.test"]?[.mx] = .records(
            (1...11).map {
                .mx(MX(preference: 10, exchange: (try? DomainName(parsing: "mx\($0).example.test.")) ?? .root))
            })
        #expect(await check(dns, "192.0.2.7").result == .permerror)
    }

    @Test func dualCIDR() async {
        var dns = MemoryResolver()
        dns.spf("example.test", "v=spf1 a/24//64 -all")
        dns.a("example.test", "192.0.2.1")
        dns.aaaa("example.test", "2001:db8:1::1")
        #expect(await check(dns, "192.0.2.200").result == .pass)
        #expect(await check(dns, "192.0.3.1").result == .fail)
        #expect(await check(dns, "2001:db8:1::ffff").result == .pass)
        #expect(await check(dns, "2001:db8:2::1").result == .fail)
        #expect(await check(dns, "::ffff:192.0.2.9").result == .pass)
    }

    @Test func ptrAndExistsAndExplanation() async {
        var dns = MemoryResolver()
        dns.spf("example.test", "v=spf1 ptr exists:%{ir}.bl.test -all exp=why.%{d}")
        dns.ptr("1.2.0.192.in-addr.arpa", "host.example.test", "other.test")
        dns.a("host.example.test", "192.0.2.1")
        dns.a("3.2.0.192.bl.test", "127.0.0.2")
        dns.txt("why.example.test", ["%{i} may not send for %{d}"])
        #expect(await check(dns, "192.0.2.1").result == .pass)
        #expect(await check(dns, "192.0.2.3").result == .pass)
        let r = await check(dns, "192.0.2.4")
        #expect(r.result == .fail)
        #expect(r.explanation == "192.0.2.4 may not send for example.test")
    }

    @Test func walkFindsTheWorstPath() async {
        var dns = MemoryResolver()
        dns.spf("example.test", "v=spf1 include:a.test include:b.test -all")
        dns.spf("a.test", "v=spf1 a mx include:c.test ?all")
        dns.spf("b.test", "v=spf1 include:c.test ptr redirect=a.test")
        dns.spf("c.test", "v=spf1 a:x.test a:y.test a:z.test +all")
        dns.a("a.test", "192.0.2.1")
        dns.mx("a.test", "a.test")
        let w = await SPFEvaluator(resolver: dns).walk(
            domain: "example.test", sender: "postmaster@example.test", helo: "example.test",
            client: SPFAddress(bytes: [192, 0, 2, 0]))
        // example: 2 includes; a: a, mx, include + c's 3 = 6; b: include + c's 3, ptr, redirect + a's 6 = 12.
        #expect(w.lookups == 20)
        #expect(w.lookupsOverflow?.contains("include:b.test") == true)
        #expect(w.finalAll?.text == "-all")
        #expect(w.terms.contains { $0.text == "+all" && $0.domain == "c.test" })
        #expect(w.problems.isEmpty)
        #expect(w.voidLookups == 3 * 3 + 1)
    }

    @Test func walkFindsProblemsAndLoops() async {
        var dns = MemoryResolver()
        dns.spf("example.test", "v=spf1 include:loop.test include:missing.test include:bad.test ~all")
        dns.spf("loop.test", "v=spf1 include:example.test")
        dns.spf("bad.test", "v=spf1 ip4:1.2.3")
        let w = await SPFEvaluator(resolver: dns).walk(
            domain: "example.test", sender: "postmaster@example.test", helo: "example.test",
            client: SPFAddress(bytes: [192, 0, 2, 0]))
        #expect(w.problems.count == 3)
        #expect(w.problems.contains { $0.contains("loop") })
        #expect(w.problems.contains { $0.contains("missing.test has no SPF record") })
    }
}
