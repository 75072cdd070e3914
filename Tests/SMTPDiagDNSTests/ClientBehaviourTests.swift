import NIOCore
import NIOPosix
import SMTPDiagDNSWire
import Testing

@testable import SMTPDiagDNS

/// The client against in-process servers that misbehave in ways a real server will not.
@Suite("DNS client against fake servers")
struct ClientBehaviourTests {
    /// For queries expected to time out.
    static let fast = DNSQueryOptions(timeout: .milliseconds(300), retries: 0)
    /// For queries expected to be answered: generous, since tests run in parallel on a busy machine.
    static let patient = DNSQueryOptions(timeout: .seconds(5), retries: 0)
    static let name: DomainName = "mx1.example.test."

    @Test func acceptsOnlyTheMatchingAnswer() async throws {
        let server = try await FakeUDPServer.start(
            .replies([.wrongID, .wrongQuestion, .notAResponse, .spoofed, .correct]))
        let client = DNSClient()
        let r = try await client.query(Self.name, .a, server: server.address, transport: .udp, options: Self.patient)
        #expect(r.message.answers.first?.rdata == .a(A(address: [127, 0, 0, 11])))
        #expect(r.transport == .udp)
        #expect(r.server == server.address)
        // Wait a moment so that every reply the server sent has been read.
        try await Task.sleep(for: .milliseconds(100))
        let s = client.statistics
        #expect(s.received == 1)
        #expect(s.mismatchedQuestion == 2)  // other question, and a query instead of a response
        #expect(s.unmatched == 2)  // wrong id, and the right answer from the wrong port
        await client.shutdown()
        await server.stop()
    }

    @Test(arguments: [UDPBehaviour.Reply.wrongID, .wrongQuestion, .spoofed, .notAResponse])
    func aLoneWrongAnswerIsNeverAccepted(_ kind: UDPBehaviour.Reply) async throws {
        let server = try await FakeUDPServer.start(.replies([kind]))
        let client = DNSClient()
        await #expect(
            throws: DNSClientError.timeout(
                server: server.address, transport: .udp, attempts: 1, timeout: .milliseconds(300))
        ) {
            try await client.query(Self.name, .a, server: server.address, transport: .udp, options: Self.fast)
        }
        await client.shutdown()
        await server.stop()
    }

    @Test func retransmitsThenTimesOut() async throws {
        let server = try await FakeUDPServer.start(.silent)
        let client = DNSClient()
        let options = DNSQueryOptions(timeout: .milliseconds(150), retries: 2)
        await #expect(
            throws: DNSClientError.timeout(
                server: server.address, transport: .udp, attempts: 3, timeout: .milliseconds(150))
        ) {
            try await client.query(Self.name, .a, server: server.address, transport: .udp, options: options)
        }
        #expect(server.received.withLockedValue { $0 } == 3)
        #expect(client.statistics.retransmissions == 2)
        await client.shutdown()
        await server.stop()
    }

    @Test func truncationIsReportedNotEmpty() async throws {
        let server = try await FakeUDPServer.start(.replies([.truncated]))
        let client = DNSClient()
        let r = try await client.query(Self.name, .txt, server: server.address, transport: .udp, options: Self.patient)
        #expect(r.isTruncated)
        await client.shutdown()
        await server.stop()
    }

    @Test func malformedAnswerIsReportedWithItsOffset() async throws {
        let server = try await FakeUDPServer.start(.replies([.garbageWithOurID]))
        let client = DNSClient()
        do {
            _ = try await client.query(
                Self.name, .a, server: server.address, transport: .udp,
                options: DNSQueryOptions(timeout: .seconds(2), retries: 0))
            Issue.record("accepted a malformed answer")
        } catch {
            guard case .malformedResponse(_, .udp, let wire) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(wire.offset != nil)
        }
        #expect(client.statistics.malformed == 1)
        await client.shutdown()
        await server.stop()
    }

    @Test func idsAreUniqueAmongQueriesInFlight() async throws {
        // An id generator that keeps returning the same few ids: the client must still never have two
        // queries with one id in flight to one server, so every answer goes to its own query.
        struct FewIDs: MessageIDGenerator {
            func next() -> UInt16 { UInt16.random(in: 0..<64) }
        }
        let server = try await FakeUDPServer.start(.replies([.correct]))
        let client = DNSClient(ids: FewIDs())
        let names = (0..<60).map { try! DomainName(parsing: "h\($0).example.test.") }
        let results = try await withThrowingTaskGroup(of: (DomainName, DomainName).self) { group in
            for n in names {
                group.addTask {
                    let r = try await client.query(
                        n, .a, server: server.address, transport: .udp, options: DNSQueryOptions(timeout: .seconds(2)))
                    return (n, r.message.questions[0].name)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 60)
        #expect(results.allSatisfy { $0.0 == $0.1 })
        await client.shutdown()
        await server.stop()
    }

    @Test func tcpPipelinesAndReadsPartialFrames() async throws {
        let server = try await FakeTCPServer.start(batch: 5)
        let client = DNSClient()
        let names = (0..<5).map { try! DomainName(parsing: "p\($0).example.test.") }
        let answered = try await withThrowingTaskGroup(of: DomainName.self) { group in
            for n in names {
                group.addTask {
                    try await client.query(n, .a, server: server.address, transport: .tcp).message.questions[0].name
                }
            }
            return try await group.reduce(into: Set<DomainName>()) { $0.insert($1) }
        }
        // All five were on one connection: the server only answers once it holds all five.
        #expect(answered == Set(names))
        await client.shutdown()
        await server.stop()
    }

    @Test func tcpRefusedIsRefused() async throws {
        let client = DNSClient()
        // A port held by a socket that never listens: refused, and no other test's server can take it meanwhile.
        let closed = try BoundTCPPort()
        defer { closed.close() }
        // Refused at once; the timeout only keeps a busy machine from turning the refusal into a timeout.
        await #expect(throws: DNSClientError.connectionRefused(server: closed.address, transport: .tcp)) {
            try await client.query(Self.name, .a, server: closed.address, transport: .tcp, options: Self.patient)
        }
        await client.shutdown()
    }

    @Test func cancellationEndsTheQueryWhenever() async throws {
        let server = try await FakeUDPServer.start(.silent)
        let client = DNSClient()
        let task = Task {
            try await client.query(
                Self.name, .a, server: server.address, transport: .udp, options: DNSQueryOptions(timeout: .seconds(30)))
        }
        task.cancel()
        let result = await task.result
        #expect(throws: DNSClientError.cancelled) { try result.get() }
        // Cancelled after it was sent, too.
        let later = Task {
            try await client.query(
                Self.name, .a, server: server.address, transport: .udp, options: DNSQueryOptions(timeout: .seconds(30)))
        }
        while server.received.withLockedValue({ $0 }) < 1 { try await Task.sleep(for: .milliseconds(10)) }
        later.cancel()
        let laterResult = await later.result
        #expect(throws: DNSClientError.cancelled) { try laterResult.get() }
        await client.shutdown()
        await server.stop()
    }

    @Test func queriesMadeOnTheClientsOwnEventLoops() async throws {
        let udp = try await FakeUDPServer.start(.replies([.correct]))
        let tcp = try await FakeTCPServer.start(batch: 1)
        let silent = try await FakeUDPServer.start(.silent)
        let client = DNSClient()
        let executors = client.taskExecutors
        #expect(executors.count == MultiThreadedEventLoopGroup.singleton.makeIterator().reduce(0) { n, _ in n + 1 })
        // From every loop, over both transports, many at once: each answered (the UDP socket and the TCP
        // connection used are the loop's own).
        let answered = try await withThrowingTaskGroup(of: Int.self) { group in
            for (k, executor) in executors.enumerated() {
                for i in 0..<20 {
                    group.addTask(executorPreference: executor) {
                        let name = try DomainName(parsing: "l\(k)q\(i).example.test.")
                        let a = try await client.query(
                            name, .a, server: udp.address, transport: .udp, options: Self.patient)
                        let b = try await client.query(
                            name, .a, server: tcp.address, transport: .tcp, options: Self.patient)
                        return a.message.questions[0].name == name && b.message.questions[0].name == name ? 1 : 0
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(answered == 20 * executors.count)
        // A query made on a loop is cancelled like any other, after it was sent.
        let cancelled = Task(executorPreference: executors[0]) {
            try await client.query(
                Self.name, .a, server: silent.address, transport: .udp, options: DNSQueryOptions(timeout: .seconds(30)))
        }
        while silent.received.withLockedValue({ $0 }) < 1 { try await Task.sleep(for: .milliseconds(10)) }
        cancelled.cancel()
        let result = await cancelled.result
        #expect(throws: DNSClientError.cancelled) { try result.get() }
        await client.shutdown()
        await udp.stop()
        await tcp.stop()
        await silent.stop()
    }

    /// Over TCP too a query that gets no answer times out (by the handler's sweep, not a timer a query). It is
    /// never sent twice on one connection: each of its `retries` goes to a new connection.
    @Test(.timeLimit(.minutes(1))) func aSilentTCPServerTimesOut() async throws {
        // The server answers only once it holds two queries: one never gets an answer.
        let server = try await FakeTCPServer.start(batch: 2)
        let client = DNSClient()
        let start = ContinuousClock.now
        await #expect(
            throws: DNSClientError.timeout(
                server: server.address, transport: .tcp, attempts: 3, timeout: .milliseconds(300))
        ) {
            try await client.query(
                Self.name, .a, server: server.address, transport: .tcp,
                options: DNSQueryOptions(timeout: .milliseconds(300), retries: 2))
        }
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(900))
        #expect(client.statistics.timeouts == 3)
        #expect(client.statistics.retransmissions == 0)
        await client.shutdown()
        await server.stop()
    }

    @Test func serverAddresses() throws {
        #expect(try DNSServerAddress(parsing: "127.0.0.12") == DNSServerAddress(host: "127.0.0.12", port: 53))
        #expect(try DNSServerAddress(parsing: "127.0.0.12:5300").port == 5300)
        #expect(try DNSServerAddress(parsing: "[::1]:5353") == DNSServerAddress(host: "::1", port: 5353))
        #expect(try DNSServerAddress(parsing: "::1") == DNSServerAddress(host: "::1", port: 53))
        #expect(try DNSServerAddress(parsing: "[::1]:5353").description == "[::1]:5353")
        for bad in ["ns1.example.test", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "[::1]x", "1.2.3.4:x", ""] {
            #expect(throws: DNSServerAddress.ParseError.self) { try DNSServerAddress(parsing: bad) }
        }
    }

    @Test func resolvConf() {
        let text = """
            # comment
            search example.test
            nameserver 10.255.255.53
            nameserver fe80::1%eth0
            nameserver ::1
            options ndots:2
            nameserver not-an-address
            """
        #expect(
            SystemResolvers.parse(resolvConf: text) == [
                DNSServerAddress(host: "10.255.255.53"), DNSServerAddress(host: "fe80::1"),
                DNSServerAddress(host: "::1"),
            ])
    }
}
