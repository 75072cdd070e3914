import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagSMTP
import SMTPDiagSMTPWire

/// How the runner asks DNS. Behind a protocol so tests can inject answers.
public protocol DNSProbe: Sendable {
    func query(_ question: Question, server: DNSServerAddress, transport: DNSTransport, options: DNSQueryOptions)
        async -> Result<DNSResponse, DNSClientError>
}

/// How the runner talks SMTP.
public protocol SMTPProbe: Sendable {
    func session(
        address: String, port: Int, serverName: String?, configuration: SMTPSessionConfiguration, tls: SMTPTLSSettings
    ) async -> SMTPSessionRecord
}

public struct LiveDNSProbe: DNSProbe {
    public let client: DNSClient
    public init(client: DNSClient) { self.client = client }

    public func query(_ question: Question, server: DNSServerAddress, transport: DNSTransport, options: DNSQueryOptions)
        async -> Result<DNSResponse, DNSClientError>
    {
        do {
            return .success(try await client.query(question, server: server, transport: transport, options: options))
        } catch {
            return .failure(error)
        }
    }
}

public struct LiveSMTPProbe: SMTPProbe {
    public let client: SMTPClient
    public init(client: SMTPClient) { self.client = client }

    public func session(
        address: String, port: Int, serverName: String?, configuration: SMTPSessionConfiguration, tls: SMTPTLSSettings
    ) async -> SMTPSessionRecord {
        await client.session(
            address: address, port: port, serverName: serverName, configuration: configuration, tls: tls)
    }
}

/// Makes each identical piece of work once per run: the first caller starts it, the others wait for it.
actor OnceCache<Key: Hashable & Sendable, Value: Sendable> {
    private var tasks: [Key: Task<Value, Never>] = [:]

    func value(_ key: Key, _ make: @escaping @Sendable () async -> Value) async -> Value {
        if let t = tasks[key] { return await t.value }
        let t = Task { await make() }
        tasks[key] = t
        return await withTaskCancellationHandler {
            await t.value
        } onCancel: {
            t.cancel()
        }
    }

}
