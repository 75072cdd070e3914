import NIOConcurrencyHelpers
import NIOCore
import SMTPDiagDNS
import SMTPDiagDNSWire

#if canImport(Glibc)
    import Glibc
#endif

/// Replays a dnsperf query file through `DNSClient` with a fixed number of queries outstanding, for
/// a fixed time, and prints queries per second. `scripts/bench` runs it next to dnsperf.
///
///     smtpdiag-dnsbench QUERYFILE SERVER [udp|tcp] [SECONDS] [OUTSTANDING]
@main
struct DNSBench {
    static func main() async throws {
        let args = CommandLine.arguments
        guard args.count >= 3 else {
            print("usage: smtpdiag-dnsbench QUERYFILE SERVER [udp|tcp] [SECONDS] [OUTSTANDING]")
            exit(2)
        }
        let questions = try loadQueries(args[1])
        let server = try DNSServerAddress(parsing: args[2])
        let transport = DNSTransport(rawValue: args.count > 3 ? args[3] : "udp") ?? .udp
        let seconds = args.count > 4 ? Double(args[4]) ?? 10 : 10
        let outstanding = args.count > 5 ? Int(args[5]) ?? 100 : 100

        let client = DNSClient()
        let options = DNSQueryOptions(timeout: .seconds(2), retries: 0)
        let next = NIOLockedValueBox(0)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        // SMTPDIAG_ON_LOOPS=0: the tasks on Swift's global executor instead of the client's event loops.
        let onLoops = getenv("SMTPDIAG_ON_LOOPS").map { String(cString: $0) != "0" } ?? true
        let executors = onLoops ? client.taskExecutors : []
        let (ok, failed) = await withTaskGroup(of: (Int, Int).self) { group in
            for k in 0..<outstanding {
                group.addTask(executorPreference: executors.isEmpty ? nil : executors[k % executors.count]) {
                    var ok = 0
                    var failed = 0
                    while clock.now < deadline {
                        let i = next.withLockedValue { n -> Int in
                            defer { n += 1 }
                            return n
                        }
                        do {
                            _ = try await client.query(
                                questions[i % questions.count], server: server, transport: transport, options: options)
                            ok += 1
                        } catch {
                            failed += 1
                        }
                    }
                    return (ok, failed)
                }
            }
            var total = (0, 0)
            for await (ok, failed) in group { total = (total.0 + ok, total.1 + failed) }
            return total
        }
        let elapsed = clock.now - start
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        await client.shutdown()
        let qps = Double(ok) / secs
        print(
            "queries_completed=\(ok) queries_failed=\(failed) seconds=\((secs * 100).rounded() / 100) qps=\(Int(qps.rounded()))"
        )
    }

    /// dnsperf's format: `NAME TYPE` a line.
    static func loadQueries(_ path: String) throws -> [Question] {
        guard let f = fopen(path, "r") else { throw DNSServerAddress.ParseError.invalid(path, reason: "cannot read") }
        defer { fclose(f) }
        var out: [Question] = []
        var line: UnsafeMutablePointer<CChar>? = nil
        var cap = 0
        while getline(&line, &cap, f) > 0 {
            guard let line else { break }
            let fields = String(cString: line).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            guard fields.count >= 2, let type = RecordType(String(fields[1])) else { continue }
            var name = String(fields[0])
            if !name.hasSuffix(".") { name += "." }
            out.append(Question(name: try DomainName(parsing: name), type: type))
        }
        free(line)
        return out
    }
}
