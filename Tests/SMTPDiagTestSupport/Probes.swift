import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagRunner
import SMTPDiagSMTP
import SMTPDiagSMTPWire

/// An authoritative answer to `question`, as the probes in memory give it.
public func answer(
    _ question: Question, _ answers: [ResourceRecord], authorities: [ResourceRecord] = [], rcode: UInt8 = 0,
    server: DNSServerAddress, transport: DNSTransport, roundTrip: Duration = .milliseconds(1)
) -> DNSResponse {
    var header = Header(id: 1, isResponse: true, authoritative: true)
    header.rcodeLow = rcode
    return DNSResponse(
        message: Message(header: header, questions: [question], answers: answers, authorities: authorities),
        server: server, transport: transport, roundTrip: roundTrip, attempts: 1, size: 100)
}

/// A DNS server in memory answering from a script: each question maps to records, an rcode, or a timeout.
public struct ScriptedDNS: DNSProbe {
    public enum Reply: Sendable {
        case records([RData])
        case rcode(UInt8)
        case timeout
    }
    let script: @Sendable (Question) -> Reply

    public init(script: @escaping @Sendable (Question) -> Reply) { self.script = script }

    public func query(_ question: Question, server: DNSServerAddress, transport: DNSTransport, options: DNSQueryOptions)
        async -> Result<DNSResponse, DNSClientError>
    {
        switch script(question) {
        case .timeout:
            return .failure(.timeout(server: server, transport: transport, attempts: 2, timeout: .seconds(2)))
        case .rcode(let r):
            return .success(answer(question, [], rcode: r, server: server, transport: transport))
        case .records(let list):
            let records = list.map { ResourceRecord(name: question.name, ttl: 300, rdata: $0) }
            return .success(answer(question, records, server: server, transport: transport))
        }
    }
}

/// An SMTP server in memory: every session gets the same record.
public struct ScriptedSMTP: SMTPProbe {
    let record: SMTPSessionRecord
    public init(record: SMTPSessionRecord) { self.record = record }

    public func session(
        address: String, port: Int, serverName: String?, configuration: SMTPSessionConfiguration, tls: SMTPTLSSettings
    ) async -> SMTPSessionRecord { record }
}

/// No SMTP server at all: every session is an empty record, and `onSession` hears of it (a test that expects
/// no session records an issue there).
public struct NoSMTP: SMTPProbe {
    let onSession: @Sendable () -> Void
    public init(onSession: @escaping @Sendable () -> Void = {}) { self.onSession = onSession }

    public func session(
        address: String, port: Int, serverName: String?, configuration: SMTPSessionConfiguration, tls: SMTPTLSSettings
    ) async -> SMTPSessionRecord {
        onSession()
        return SMTPSessionRecord()
    }
}
