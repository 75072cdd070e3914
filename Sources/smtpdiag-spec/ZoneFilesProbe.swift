import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagRunner
import SMTPDiagZone

/// The run's DNS: questions to the zone-files address answered in process from the loaded zones, every other one
/// sent to its server.
struct ZoneFilesProbe: DNSProbe {
    let live: LiveDNSProbe
    let zones: ZoneSet

    func query(_ question: Question, server: DNSServerAddress, transport: DNSTransport, options: DNSQueryOptions)
        async -> Result<DNSResponse, DNSClientError>
    {
        guard server == .zoneFiles else {
            return await live.query(question, server: server, transport: transport, options: options)
        }
        let query = Message.query(
            id: 0, name: question.name, type: question.type, recordClass: question.recordClass,
            recursionDesired: options.recursionDesired, edns: options.edns)
        let answer = zones.answer(query, udp: transport == .udp)
        let size = (try? answer.encode().readableBytes) ?? 0
        return .success(
            DNSResponse(message: answer, server: server, transport: transport, roundTrip: .zero, size: size))
    }
}
