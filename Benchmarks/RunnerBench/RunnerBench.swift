import Foundation
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagFamilies
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSMTP
import SMTPDiagSMTPWire
import SMTPDiagSpec
import SMTPDiagTestSupport

/// The runner alone: a generated fleet spec (`scripts/gen-fleet-spec`) run against DNS answered in memory,
/// as the fleet's zones would answer, with no network. What it prints is the runner's own cost a check,
/// apart from the DNS client's and the servers'; `scripts/bench runner` runs it.
///
///     smtpdiag-runnerbench SPEC [JOBS]
@main
struct RunnerBench {
    static func main() async {
        let args = CommandLine.arguments
        guard args.count >= 2 else {
            print("usage: smtpdiag-runnerbench SPEC [JOBS]")
            exit(2)
        }
        let loaded = SpecLoader(families: Families.builtin.spec).load(paths: [args[1]])
        let compiled = PlanCompiler(families: Families.builtin.plan).compile(loaded.files)
        guard loaded.diagnostics.isEmpty && compiled.diagnostics.isEmpty else {
            for d in loaded.diagnostics + compiled.diagnostics { print(d) }
            exit(2)
        }
        var options = RunOptions()
        options.jobs = args.count > 2 ? Int(args[2]) ?? 500 : 500
        let runner = Runner(dns: FleetDNS(), smtp: NoSMTP(), options: options)
        let before = cpuSeconds()
        let clock = ContinuousClock()
        let start = clock.now
        let (results, _) = await runner.run(compiled.plan)
        let wall = start.duration(to: clock.now)
        let cpu = cpuSeconds() - before
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        let passed = (0..<results.count).filter { results.status(at: $0) == .pass }.count
        let checks = compiled.plan.checks.count
        print(
            "checks=\(checks) results=\(results.count) pass=\(passed) wall=\(String(format: "%.3f", seconds)) "
                + "cpu=\(String(format: "%.3f", cpu)) checks_per_second=\(Int(Double(checks) / seconds)) "
                + "cpu_us_per_check=\(String(format: "%.1f", cpu / Double(checks) * 1e6))")
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }
}

/// Answers as the zones of `scripts/gen-fleet-spec --zones` do.
final class FleetDNS: DNSProbe, @unchecked Sendable {
    /// Answers built once a question (the first server's), so that what is measured is the runner.
    private let lock = NSLock()
    private var built: [Question: DNSResponse] = [:]

    func query(_ question: Question, server: DNSServerAddress, transport: DNSTransport, options: DNSQueryOptions)
        async -> Result<DNSResponse, DNSClientError>
    {
        if let known = lock.withLock({ built[question] }) { return .success(known) }
        let made = build(question, server: server, transport: transport)
        lock.withLock { built[question] = made }
        return .success(made)
    }

    func build(_ question: Question, server: DNSServerAddress, transport: DNSTransport) -> DNSResponse {
        let name = question.name
        let labels = name.labels
        // fleetNNNNN.test is the zone; a first label before it is a host of the zone.
        let zone = labels.count > 2 ? (try? DomainName(labels: labels.dropFirst().map { Array($0) })) ?? name : name
        let host = labels.count > 2 ? String(decoding: labels[0], as: UTF8.self) : "@"
        func rr(_ owner: DomainName, _ data: RData) -> ResourceRecord {
            ResourceRecord(name: owner, ttl: 3600, rdata: data)
        }
        func child(_ label: String) -> DomainName { (try? DomainName(parsing: label, origin: zone)) ?? zone }
        var answers: [ResourceRecord] = []
        var authorities: [ResourceRecord] = []
        let ns = [rr(zone, .ns(NS(nsdname: child("ns1")))), rr(zone, .ns(NS(nsdname: child("ns2"))))]
        switch (host, question.type) {
        case ("@", .soa):
            answers = [
                rr(
                    zone,
                    .soa(
                        SOA(
                            mname: "ns1.example.test.", rname: "hostmaster.example.test.", serial: 2_024_010_100,
                            refresh: 7200, retry: 3600, expire: 1_209_600, minimum: 300)))
            ]
            authorities = ns
        case ("@", .ns): answers = ns
        case ("@", .mx):
            answers = [
                rr(zone, .mx(MX(preference: 10, exchange: child("mx1")))),
                rr(zone, .mx(MX(preference: 20, exchange: child("mx2")))),
            ]
            authorities = ns
        case ("@", .txt): answers = [rr(zone, .txt(TXT(["v=spf1 mx -all"])))]
        case ("_dmarc", .txt): answers = [rr(name, .txt(TXT(["v=DMARC1; p=reject"])))]
        case ("ns1", .a): answers = [rr(name, .a(A(address: [127, 0, 0, 20])))]
        case ("ns2", .a): answers = [rr(name, .a(A(address: [127, 0, 0, 22])))]
        case ("mx1", .a): answers = [rr(name, .a(A(address: [127, 0, 0, 11])))]
        case ("mx2", .a): answers = [rr(name, .a(A(address: [127, 0, 0, 13])))]
        default: break
        }
        let message = Message(
            header: Header(id: 1, isResponse: true, authoritative: true), questions: [question], answers: answers,
            authorities: authorities)
        return DNSResponse(
            message: message, server: server, transport: transport, roundTrip: .microseconds(100), attempts: 1,
            size: 100)
    }
}
