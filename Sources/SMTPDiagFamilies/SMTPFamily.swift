import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec

/// `smtp`: sessions to every address of every MX host (or to the hosts listed), each step checked against the
/// reply it expects (`example.test/smtp@mx1.example.test[127.0.0.11]:25/rcpt[postmaster]`), after the hosts are
/// found (`example.test/smtp.hosts[mx]@internal[127.0.0.10]/udp`). The runner holds the sessions (one to each
/// address, shared by every step and every check that asks the same); the steps are its built-in kinds.
public enum SMTPFamily: CheckFamily {
    public static let key = "smtp"

    public struct Expectation: FamilyExpectation {
        public let spec: SMTPSpec
    }

    public static func schema() -> SchemaFragment { SchemaFragment(SpecSchema.reference("domainSMTP")) }

    public static func read(_ value: SpecValue, _ reader: inout SpecValueReader) -> (any FamilyExpectation)? {
        reader.domainSMTP(value).map(Expectation.init)
    }

    public static func compile(_ entry: FamilyEntry, _ domain: inout DomainPlan) {
        guard let smtp = (entry.value as? Expectation)?.spec else { return }
        let targets: [SMTPTarget]
        switch smtp.hosts {
        case .mx: targets = [.mx(domain: domain.zone)]
        case .list(let hosts): targets = hosts.map { .host($0) }
        }
        // Hosts are found through the domain's first server and transport.
        for target in targets {
            domain.append(
                SMTPPlanning.sessionChecks(
                    subject: .domain(domain.prefix), zone: domain.zone, target: target,
                    settings: smtp.settings.over(domain.defaultSMTP), expect: smtp.expect, location: smtp.location,
                    resolver: domain.servers.first ?? .system, transport: domain.transports.first ?? .udp,
                    tags: domain.tags, timeout: domain.timeout, retries: domain.retries,
                    discoveryID: domain.discoveryID))
        }
    }
}
