import NIOCore
import SMTPDiagDNSWire
import Synchronization

/// One query, from the asking task to the event loop of the channel it is sent on and back. The task waits
/// on its continuation; the loop's handler completes it once (answer, error, timeout or cancellation). One
/// object a query: a promise, its future's callbacks and a registration box were a tenth of a fleet run's
/// allocations (measured with heaptrack).
final class PendingQuery: @unchecked Sendable {
    let question: Question
    let server: DNSServerAddress
    let transport: DNSTransport
    let timeout: Duration
    let retries: Int
    let recursionDesired: Bool
    let edns: EDNS?

    // Owned by the event loop once registered.
    /// The encoded query (for UDP, kept for retransmission).
    var payload = ByteBuffer()
    var attempts = 1
    var sentAt = NIODeadline.now()
    /// When it times out (the handler's sweep looks).
    var deadline = NIODeadline.distantFuture
    /// A response that had our id and source but did not decode: reported if nothing better comes.
    var malformed: DNSWireError?
    /// The key it is registered under at its UDP socket, or its id on its TCP connection.
    var udpKey: UDPDemuxHandler.Key?
    var tcpID: UInt16?

    private enum Phase {
        case new, registered, cancelled, done
    }
    private struct Shared {
        var phase = Phase.new
        var continuation: UnsafeContinuation<Result<DNSResponse, DNSClientError>, Never>?
    }
    private let shared = Mutex(Shared())

    init(question: Question, server: DNSServerAddress, transport: DNSTransport, options: DNSQueryOptions) {
        self.question = question
        self.server = server
        self.transport = transport
        self.timeout = options.timeout
        self.retries = transport == .udp ? max(0, options.retries) : 0
        self.recursionDesired = options.recursionDesired
        self.edns = options.edns
    }

    /// The query with `id`, encoded into a new buffer after `reserve` octets left for the caller (TCP's length).
    func encode(id: UInt16, reserve: Int = 0) throws(DNSWireError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: reserve + 64 + question.name.wire.count)
        buffer.moveWriterIndex(forwardBy: reserve)
        buffer.moveReaderIndex(forwardBy: reserve)
        var writer = WireWriter(buffer: buffer)
        buffer = ByteBuffer()
        try Message.encodeQuery(
            id: id, question: question, recursionDesired: recursionDesired, edns: edns, to: &writer)
        return writer.buffer
    }

    /// Hands the query to its handler on `loop` (`send`, at once when the caller runs on that loop) and waits for
    /// the outcome; a cancellation at any moment before, during or after registration ends it `.cancelled`
    /// (`cancel`, on the loop).
    func wait(
        on loop: any EventLoop, send: @escaping @Sendable (PendingQuery) -> Void,
        cancel: @escaping @Sendable (PendingQuery) -> Void
    ) async throws(DNSClientError) -> DNSResponse {
        try await wait { p in
            if loop.inEventLoop { send(p) } else { loop.execute { send(p) } }
        } cancel: { p in
            loop.execute { cancel(p) }
        }.get()
    }

    private func wait(
        register: (PendingQuery) -> Void, cancel: @escaping @Sendable (PendingQuery) -> Void
    ) async -> Result<DNSResponse, DNSClientError> {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { c in
                let cancelled = shared.withLock { s -> Bool in
                    s.continuation = c
                    return s.phase == .cancelled
                }
                if cancelled {
                    finish(.failure(.cancelled))
                } else {
                    register(self)
                }
            }
        } onCancel: {
            let wasRegistered = shared.withLock { s -> Bool in
                defer { if s.phase != .done { s.phase = .cancelled } }
                return s.phase == .registered
            }
            if wasRegistered { cancel(self) }
        }
    }

    /// On the loop, before the query goes into a handler's table: false when it was cancelled meanwhile
    /// (and is then finished as such).
    func beginRegistration() -> Bool {
        let ok = shared.withLock { s -> Bool in
            guard s.phase == .new else { return false }
            s.phase = .registered
            return true
        }
        if !ok { finish(.failure(.cancelled)) }
        return ok
    }

    func succeed(_ message: Message, size: Int) {
        let elapsed = NIODeadline.now() - sentAt
        finish(
            .success(
                DNSResponse(
                    message: message, server: server, transport: transport,
                    roundTrip: .nanoseconds(elapsed.nanoseconds), attempts: attempts, size: size)))
    }

    func fail(_ error: DNSClientError) { finish(.failure(error)) }

    /// Resumes the waiting task, once; later outcomes are dropped.
    private func finish(_ result: Result<DNSResponse, DNSClientError>) {
        let c = shared.withLock { s -> UnsafeContinuation<Result<DNSResponse, DNSClientError>, Never>? in
            guard s.phase != .done, let c = s.continuation else { return nil }
            s.phase = .done
            s.continuation = nil
            return c
        }
        c?.resume(returning: result)
    }

    var timeoutError: DNSClientError {
        if let malformed { return .malformedResponse(server: server, transport: transport, error: malformed) }
        return .timeout(server: server, transport: transport, attempts: attempts, timeout: timeout)
    }
}

/// Decides what to do with an incoming message for a pending query: accept it, or say why not.
enum ResponseCheck {
    case accept(Message)
    case malformed(DNSWireError)
    case mismatchedQuestion

    /// RFC 5452 §9.1: the id and source matched already; the message must decode, be a response, and
    /// carry exactly our question.
    init(_ bytes: ByteBuffer, for pending: PendingQuery) {
        var b = bytes
        let message: Message
        do {
            message = try Message.decode(from: &b)
        } catch {
            self = .malformed(error)
            return
        }
        guard message.header.isResponse, message.questions.count == 1, message.questions[0].matches(pending.question)
        else {
            self = .mismatchedQuestion
            return
        }
        self = .accept(message)
    }
}
