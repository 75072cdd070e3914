import Foundation
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagFamilies
import SMTPDiagPlan
import SMTPDiagReport
import SMTPDiagRunner
import SMTPDiagSpec
import SMTPDiagTestSupport
import Testing

/// A family written here, in the test target, as a new family would be: `greeting: { name: www, says: hello }`
/// asks the TXT records of the name at each server over each transport and passes when one of them contains
/// the words. Nothing outside this type knows of it but the one registration below.
enum GreetingFamily: CheckFamily {
    static let key = "greeting"

    struct Expectation: FamilyExpectation {
        let name: DomainName
        let words: String
    }

    struct Query: FamilyCheckValue {
        let name: DomainName
        let words: String
        let target: ServerTarget
        let transport: SpecTransport

        var server: ServerTarget? { target }
        var description: String { "\(name) TXT at \(target) over \(transport.rawValue): says \"\(words)\"" }
    }

    static func schema() -> SchemaFragment {
        SchemaFragment(
            SpecSchema.objectValue(["name": ["type": "string"], "says": ["type": "string"]], required: ["says"]))
    }

    static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        guard let pairs = reader.mapping(value, known: ["name", "says"], what: "a mapping {name, says}") else {
            return nil
        }
        var name = reader.domain
        var words: String? = nil
        for pair in pairs {
            let v = pair.value
            switch pair.key {
            case "name": if let n = reader.name(v) { name = n }
            case "says":
                guard let s = reader.string(v, what: "the words the TXT record holds") else { continue }
                if s.isEmpty {
                    reader.error(v, "an empty greeting says nothing", expected: "some words")
                } else {
                    words = s
                }
            default: break
            }
        }
        if !pairs.contains(where: { $0.key == "says" }) { reader.error(value, "missing key `says`", expected: "words") }
        return words.map { Expectation(name: name, words: $0) }
    }

    static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard let e = entry.value as? Expectation else { return }
        domain.perQuery(key, entry.location) { server, t in
            .family(FamilyCheck(family: key, value: Query(name: e.name, words: e.words, target: server, transport: t)))
        }
    }

    static func evaluate(_ value: any FamilyCheckValue, _ context: FamilyContext) async -> [CheckResult] {
        guard let q = value as? Query else { return [context.result(.error, "not a greeting check")] }
        return await context.perServer(q.target, q.transport, question: Question(name: q.name, type: .txt)) {
            response in
            let texts = FamilyContext.records(response, name: q.name, type: .txt).compactMap { r -> String? in
                if case .txt(let t) = r.rdata { return t.joined }
                return nil
            }
            let found = texts.contains { $0.contains(q.words) }
            return Matchers.Verdict(
                pass: found, message: found ? "says \"\(q.words)\"" : "does not say \"\(q.words)\"",
                expected: "a TXT record with \"\(q.words)\"", actual: texts.joined(separator: " | "))
        }
    }
}

@Suite("A family added in one file")
struct ToyFamilyTests {
    static let registry = Families.builtin.adding(GreetingFamily.self)

    static let spec = """
        version: 1
        dns_servers: { a: 127.0.0.10, b: 127.0.0.12 }
        defaults: { dns: { servers: [a, b], transports: [udp, tcp] } }
        domains:
          toy.test:
            greeting: { name: www, says: hello }
        """

    /// TXT "hello world" at www.toy.test from 127.0.0.10; "goodbye" from 127.0.0.12 over UDP; a timeout over TCP.
    struct DNS: DNSProbe {
        func query(
            _ question: Question, server: DNSServerAddress, transport: DNSTransport, options: DNSQueryOptions
        ) async -> Result<DNSResponse, DNSClientError> {
            guard question.name == "www.toy.test.", question.type == .txt else {
                return .success(answer(question, [], server: server, transport: transport))
            }
            if server.host == "127.0.0.12" && transport == .tcp {
                return .failure(.timeout(server: server, transport: transport, attempts: 2, timeout: .seconds(2)))
            }
            let text = server.host == "127.0.0.10" ? "hello world" : "goodbye"
            let record = ResourceRecord(name: question.name, ttl: 60, rdata: .txt(TXT([text])))
            return .success(answer(question, [record], server: server, transport: transport))
        }
    }

    static func load(_ yaml: String, _ registry: FamilyRegistry) -> SpecLoader.Result {
        SpecLoader(environment: [:], families: registry.spec).load(data: Data(yaml.utf8), path: "toy.yaml")
    }

    @Test func itReadsOnlyOnceRegistered() {
        #expect(Self.load(Self.spec, Self.registry).diagnostics.isEmpty)
        let unregistered = Self.load(Self.spec, Families.builtin)
        #expect(unregistered.diagnostics.map(\.message).contains { $0.contains("unknown key `greeting`") })
    }

    @Test func itsMistakesAreLocatedLikeAnyKey() {
        let bad = """
            version: 1
            domains:
              toy.test:
                greeting: { name: www, says: "", sayz: hi }
              other.test:
                greetin: { says: hi }
            """
        let text = Self.load(bad, Self.registry).diagnostics.map(\.description).joined(separator: "\n")
        #expect(
            text.contains("toy.yaml:4:34: error: domains.toy.test.greeting.says: an empty greeting says nothing"),
            "\(text)")
        #expect(text.contains("domains.toy.test.greeting.sayz") && text.contains("did you mean `says`"), "\(text)")
        #expect(text.contains("domains.other.test.greetin") && text.contains("did you mean `greeting`"), "\(text)")
    }

    @Test func itIsInTheSchema() throws {
        let json = SpecSchema.json(families: Self.registry.spec)
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let definitions = try #require(schema["definitions"] as? [String: Any])
        let domain = try #require(definitions["domain"] as? [String: Any])
        let properties = try #require(domain["properties"] as? [String: Any])
        let greeting = try #require(properties["greeting"] as? [String: Any])
        #expect(greeting["required"] as? [String] == ["says"])
        // The built-in families are there too, and nothing else changed for them.
        #expect(properties["ns"] != nil)
        #expect(!SpecSchema.json(families: Families.builtin.spec).contains("greeting"))
    }

    @Test func itPlansRunsAndReports() async throws {
        let loaded = Self.load(Self.spec, Self.registry)
        let compiled = PlanCompiler(families: Self.registry.plan).compile(loaded.files)
        #expect(compiled.diagnostics.isEmpty)
        let ids = compiled.plan.checks.map(\.id.rawValue)
        #expect(
            ids == [
                "toy.test/greeting@a[127.0.0.10]/udp", "toy.test/greeting@a[127.0.0.10]/tcp",
                "toy.test/greeting@b[127.0.0.12]/udp", "toy.test/greeting@b[127.0.0.12]/tcp",
            ])
        #expect(
            PlanDescription.describe(compiled.plan.checks[0].kind)
                == "www.toy.test. TXT at a[127.0.0.10] over udp: says \"hello\"")
        #expect(compiled.plan.checks[0].location.line == 6)

        var options = RunOptions()
        options.families = Self.registry
        let (results, _) = await Runner(dns: DNS(), smtp: NoSMTP(), options: options).run(compiled.plan)
        let status = Dictionary(uniqueKeysWithValues: results.map { ($0.id.rawValue, $0.status) })
        #expect(status["toy.test/greeting@a[127.0.0.10]/udp"] == .pass)
        #expect(status["toy.test/greeting@a[127.0.0.10]/tcp"] == .pass)
        #expect(status["toy.test/greeting@b[127.0.0.12]/udp"] == .fail)
        #expect(status["toy.test/greeting@b[127.0.0.12]/tcp"] == .error)

        let report = RunReport(results: results, started: 0, duration: .zero, interrupted: false, files: ["toy.yaml"])
        #expect(report.exitCode == 1)
        let json = JSONReporter().render(report, options: ReportOptions())
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let checks = try #require(doc["checks"] as? [[String: Any]])
        let failed = try #require(checks.first { $0["id"] as? String == "toy.test/greeting@b[127.0.0.12]/udp" })
        #expect(failed["status"] as? String == "fail")
        #expect(failed["actual"] as? String == "goodbye")

        // A run that does not know the family says so as an error, never a pass.
        let (unknown, _) = await Runner(dns: DNS(), smtp: NoSMTP()).run(compiled.plan)
        #expect(unknown.allSatisfy { $0.status == .error && $0.message.contains("no family `greeting`") })
    }
}
