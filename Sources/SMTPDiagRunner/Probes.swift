import NIOConcurrencyHelpers
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

/// Makes each identical piece of work once: the first caller starts it, the others wait for it. A value
/// asked for by an owner (a group of checks) is let go of when the last owner to ask for it is evicted, so
/// a later owner asking again makes it again.
final class OnceCache<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private enum Entry {
        case pending([CheckedContinuation<Value, Never>])
        case done(Value)
    }
    private struct Slot {
        var entry: Entry
        /// The last owner that asked for it: the one whose eviction lets it go.
        var owner: Int?
    }
    // A lock rather than an actor: no hop to another executor on every DNS question (measured). One
    // dictionary, looked up once a call: hashing the keys was a visible share of a fleet run.
    private let lock = NIOLock()
    private var slots: [Key: Slot] = [:]
    private var owned: [Int: [Key]] = [:]

    private enum Lookup {
        case done(Value)
        case wait
        case make
    }

    /// The value of `key`: made by the first caller, in its own task (no task is kept for the value), waited
    /// for by the others.
    func value(_ key: Key, owner: Int? = nil, _ make: () async -> Value) async -> Value {
        let lookup = lock.withLock { () -> Lookup in
            if let i = slots.index(forKey: key) {
                if let owner, slots.values[i].owner != owner {
                    slots.values[i].owner = owner
                    owned[owner, default: []].append(key)
                }
                if case .done(let v) = slots.values[i].entry { return .done(v) }
                return .wait
            }
            slots[key] = Slot(entry: .pending([]), owner: owner)
            if let owner { owned[owner, default: []].append(key) }
            return .make
        }
        switch lookup {
        case .done(let v):
            return v
        case .wait:
            return await withCheckedContinuation { c in
                let ready = lock.withLock { () -> Value? in
                    guard let i = slots.index(forKey: key) else { return nil }
                    switch slots.values[i].entry {
                    case .done(let v):
                        return v
                    case .pending(var waiting):
                        slots.values[i].entry = .pending([])
                        waiting.append(c)
                        slots.values[i].entry = .pending(waiting)
                        return nil
                    }
                }
                if let ready { c.resume(returning: ready) }
            }
        case .make:
            let v = await make()
            let waiting = lock.withLock { () -> [CheckedContinuation<Value, Never>] in
                guard let i = slots.index(forKey: key) else { return [] }
                defer { slots.values[i].entry = .done(v) }
                if case .pending(let w) = slots.values[i].entry { return w }
                return []
            }
            for c in waiting { c.resume(returning: v) }
            return v
        }
    }

    /// Lets go of the values whose last owner is `owner`.
    func evict(owner: Int) {
        // The values are returned out of the lock and dropped there: freeing decoded answers is most of the work.
        _ = lock.withLock { () -> [Slot] in
            guard let keys = owned.removeValue(forKey: owner) else { return [] }
            var released: [Slot] = []
            released.reserveCapacity(keys.count)
            for k in keys {
                guard let i = slots.index(forKey: k), slots.values[i].owner == owner else { continue }
                if case .done = slots.values[i].entry { released.append(slots.remove(at: i).value) }
            }
            return released
        }
    }

    /// How many values are held (tests).
    var count: Int { lock.withLock { slots.count } }
}
