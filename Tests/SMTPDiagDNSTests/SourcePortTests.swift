import Foundation
import NIOCore
import SMTPDiagDNSWire
import Testing

@testable import SMTPDiagDNS

/// RFC 5452: the source port must be as unpredictable as the message id, and no other local socket may
/// share it (with SO_REUSEADDR on both, a second process could bind the port and take our answers).
@Suite("UDP source ports")
struct SourcePortTests {
    @Test func queriesLeaveFromManyPortsThatNoOtherSocketCanBind() async throws {
        let server = try await FakeUDPServer.start(.replies([.correct]))
        let client = DNSClient()
        var answered = 0
        for batch in 0..<20 {
            answered += await withTaskGroup(of: Int.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        let name = (try? DomainName(parsing: "q\(batch)-\(i).example.test.")) ?? "q.example.test."
                        let r = try? await client.query(name, .a, server: server.address, transport: .udp)
                        return r == nil ? 0 : 1
                    }
                }
                return await group.reduce(0, +)
            }
        }
        #expect(answered == 1000)
        let ports = server.sourcePorts.withLockedValue { $0 }
        #expect(ports.count == 1000)
        #expect(Set(ports).count >= 50, "1,000 queries left from \(Set(ports).count) ports")

        // A port in use right now: the last query's. Another socket, even with SO_REUSEADDR, cannot bind it.
        _ = try await client.query("last.example.test.", .a, server: server.address, transport: .udp)
        let port = try #require(server.sourcePorts.withLockedValue { $0.last })
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let why = errno
        close(fd)
        #expect(bound != 0, "a second socket bound port \(port), which the client was using")
        #expect(why == EADDRINUSE)
        await client.shutdown()
        await server.stop()
    }
}
