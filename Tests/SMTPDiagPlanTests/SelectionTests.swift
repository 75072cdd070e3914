import Foundation
import SMTPDiagFamilies
import SMTPDiagSpec
import SMTPDiagTestSupport
import Testing

@testable import SMTPDiagPlan

/// `--shard`, `--tag`, `--only` and `--skip smtp` as the plan module applies them.
@Suite("Selection")
struct SelectionTests {
    static let plan: CheckPlan = {
        let yaml = """
            version: 1
            dns_servers: { a: 127.0.0.10 }
            defaults: { dns: { servers: [a, authoritative], transports: [udp] } }
            domains:
              one.test: { tags: [prod], mx: ["10 mx"], smtp: { expect: { rcpt: { postmaster: 250 } } } }
              two.test: { ns: [ns1] }
              three.test: { tags: [prod], soa: { serial: 1 } }
            routes:
              - { from: a@one.test, to: b@two.test, tags: [route] }
            """
        let loaded = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data(yaml.utf8), path: "selection.yaml")
        return PlanCompiler(families: Families.builtin.plan).compile(loaded.files).plan
    }()

    @Test func shardParsing() {
        #expect(Selection.Shard(parsing: "2/4") == Selection.Shard(index: 2, count: 4))
        for bad in ["0/4", "5/4", "1/0", "1", "1/2/3", "a/b", "/2", "1/", "-1/2", ""] {
            #expect(Selection.Shard(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func everythingIsThePlanItself() {
        let (run, skipped) = Selection().apply(to: Self.plan)
        #expect(run.checks.map(\.id) == Self.plan.checks.map(\.id))
        #expect(skipped.isEmpty)
    }

    @Test func shardsPartitionThePlanKeepingDomainsAndRoutesTogether() {
        for n in 1...5 {
            var seen: [CheckID: Int] = [:]
            var groups: [String: Int] = [:]
            for k in 1...n {
                let (run, skipped) = Selection(shard: .init(index: k, count: n)).apply(to: Self.plan)
                #expect(skipped.isEmpty)
                for c in run.checks {
                    seen[c.id, default: 0] += 1
                    let g = Selection.group(c)
                    #expect(groups[g, default: k] == k, "\(g) split across shards")
                    groups[g] = k
                }
            }
            #expect(seen.count == Self.plan.checks.count && seen.values.allSatisfy { $0 == 1 })
        }
        // A route is a group of its own, though its checks ask about two domains.
        let route = Self.plan.checks.filter { $0.id.rawValue.hasPrefix("route[") }
        #expect(!route.isEmpty && Set(route.map(Selection.group)) == ["route[a@one.test->b@two.test]"])
        #expect(Set(route.map(\.domain.description)).count == 2)
    }

    @Test func filtersSayWhyAndBringPrerequisites() {
        let (run, skipped) = Selection(tags: ["prod"], skipSMTP: true).apply(to: Self.plan)
        #expect(!run.checks.isEmpty)
        for c in run.checks {
            #expect(c.tags.contains("prod") || run.checks.contains { $0.dependencies.contains(c.id) }, "\(c.id)")
            #expect(!c.kind.isSMTP)
        }
        // The NS discovery of one.test comes along for the `authoritative` checks that need it.
        #expect(run.checks.contains { $0.id.rawValue.hasPrefix("one.test/ns.discovery@") })
        let reasons = Dictionary(skipped.map { ($0.0.id.rawValue, $0.1) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons.first { $0.key.hasPrefix("one.test/smtp@") }?.value == "filtered out (--skip smtp)")
        #expect(reasons.first { $0.key.hasPrefix("two.test/ns@") }?.value == "filtered out (--tag)")
        #expect(run.checks.count + skipped.count == Self.plan.checks.count)

        let only = Selection(only: ["three.test/soa.serial@a?127.0.0.10]/*"]).apply(to: Self.plan)
        #expect(only.run.checks.map(\.id.rawValue) == ["three.test/soa.serial@a[127.0.0.10]/udp"])
        #expect(only.skipped.allSatisfy { $0.1 == "filtered out (--only)" })
    }

    @Test func aSelectionOfNothingSaysWhichFilters() {
        #expect(Selection(tags: ["prod"]).emptiness(of: Self.plan) == nil)
        #expect(
            Selection(tags: ["nosuch"], only: ["x*"]).emptiness(of: Self.plan)
                == "no check of the \(Self.plan.checks.count) planned is selected by --tag nosuch --only 'x*'")
        // A shard with nothing in it is not a usage error: the filters may select checks elsewhere.
        #expect(Selection(shard: .init(index: 9, count: 9)).emptiness(of: Self.plan) == nil)
    }
}

/// The parts of a check id, and its text made from them.
@Suite("Check ids")
struct CheckIDTests {
    @Test func textFromParts() {
        let a = Endpoint.dns("internal", "127.0.0.10", 53)
        #expect(
            CheckID(.domain("example.test"), "soa.serial", server: a, transport: .tcp).rawValue
                == "example.test/soa.serial@internal[127.0.0.10]/tcp")
        #expect(
            CheckID(.domain("x.test"), "mx", server: .dns("lab6", "::1", 5353), transport: .udp).rawValue
                == "x.test/mx@lab6[::1]:5353/udp")
        #expect(
            CheckID(.domain("x.test"), "records", qualifier: "_dmarc TXT", server: a, transport: .udp).rawValue
                == "x.test/records[_dmarc TXT]@internal[127.0.0.10]/udp")
        #expect(
            CheckID(.route("a@x.test->b@y.test"), side: .remote, "soa.consistent").rawValue
                == "route[a@x.test->b@y.test]/remote.soa.consistent")
        let mx = CheckID(.domain("x.test"), "smtp", server: Endpoint(name: "mx", port: 25), step: "rcpt[postmaster]")
        #expect(mx.rawValue == "x.test/smtp@mx:25/rcpt[postmaster]")
        #expect(
            mx.at(Endpoint(name: "mx1.x.test", address: "127.0.0.11", port: 25)).rawValue
                == "x.test/smtp@mx1.x.test[127.0.0.11]:25/rcpt[postmaster]")
        #expect(
            mx.at(Endpoint(name: nil, address: "::1", port: 25)).rawValue == "x.test/smtp@[::1]:25/rcpt[postmaster]")
        #expect(mx.at(Endpoint(name: "mx2.x.test", port: 25)).rawValue == "x.test/smtp@mx2.x.test:25/rcpt[postmaster]")
        #expect(
            CheckID(.domain("x.test"), "ns.discovery", server: Endpoint(name: "system")).rawValue
                == "x.test/ns.discovery@system")
    }

    @Test func everyPlannedIdKeepsItsParts() {
        for c in SelectionTests.plan.checks {
            #expect(c.id.expectation != "" && c.id.rawValue.contains(c.id.expectation))
            if case .text = c.id.subject { Issue.record("\(c.id) was made from text") }
        }
        let route = SelectionTests.plan.checks.filter { if case .route = $0.id.subject { true } else { false } }
        #expect(route.contains { $0.id.side == .local } && route.contains { $0.id.side == .remote })
    }
}
