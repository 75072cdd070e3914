import NIOConcurrencyHelpers
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagPlan

/// One authoritative server of a zone: its NS name and the addresses found for it.
struct AuthoritativeServer: Hashable, Sendable {
    var name: DomainName
    var addresses: [DNSServerAddress]
}

/// What the run has learnt so far: discovered servers, SMTP hosts.
final class RunState: @unchecked Sendable {
    // A lock, not an actor: asked by every check at an authoritative server (measured: the actor hop and a
    // string key built by reflection were a tenth of the runner's own time).
    private struct Zone: Hashable {
        let zone: DomainName
        let via: ServerTargetBase
    }
    private let lock = NIOLock()
    private var discoveries: [Zone: [AuthoritativeServer]] = [:]
    private var hosts: [CheckID: SMTPHostList] = [:]

    func setDiscovered(zone: DomainName, via: ServerTargetBase, _ found: [AuthoritativeServer]) {
        lock.withLock { discoveries[Zone(zone: zone, via: via)] = found }
    }

    func discovered(zone: DomainName, via: ServerTargetBase) -> [AuthoritativeServer]? {
        lock.withLock { discoveries[Zone(zone: zone, via: via)] }
    }

    func setHosts(_ id: CheckID, _ list: SMTPHostList) { lock.withLock { hosts[id] = list } }
    func hosts(_ id: CheckID) -> SMTPHostList? { lock.withLock { hosts[id] } }
}

/// The SMTP hosts a session plan connects to, as the hosts check found them: the addresses, and the names
/// whose addresses could not be learned (each gets its steps as errors, so no MX goes untested unseen).
struct SMTPHostList: Sendable {
    var found: [(name: String?, address: String)]
    var unresolved: [(name: String, reason: String)] = []
}

/// Why a server list could not be had.
public struct Problem: Error, CustomStringConvertible {
    public let text: String
    public init(_ text: String) { self.text = text }
    public var description: String { text }
}

/// Whether an evaluation's work was cut short by cancellation (noted by its DNS questions and SMTP sessions, read
/// by the worker that evaluates it; one a worker).
final class Interruption: @unchecked Sendable {
    private let lock = NIOLock()
    private var happened = false

    func note() { lock.withLock { happened = true } }

    /// Whether it happened since the last call.
    func take() -> Bool {
        lock.withLock {
            defer { happened = false }
            return happened
        }
    }
}
